import {
  PayloadValidationError,
  SLACK_INTERACTION_JOB,
  SLACK_SLASH_COMMAND_JOB,
  slackUrlVerificationSchema,
} from '@conveyor/queues';
import type { Express, Request, Response } from 'express';
import { SlackNotConfiguredError } from '../errors/slack-not-configured-error.js';
import { SlackSignatureInvalidError } from '../errors/slack-signature-invalid-error.js';
import { assertMediaType } from '../http/assert-media-type.js';
import { parseJson } from '../http/parse-json.js';
import { readBody } from '../http/read-body.js';
import { sendJson } from '../http/send-json.js';
import type { RouteContext } from '../routes/route-context.js';
import { validate } from '../routes/validate.js';
import { parseForm } from './parse-form.js';
import { verifySlackSignature } from './verify-slack-signature.js';

const isRecord = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

/** An empty 200: Slack shows a slash command's or interaction's response body to the user. */
function acknowledge(res: Response): void {
  res.statusCode = 200;
  res.setHeader('content-length', 0);
  res.end();
}

/**
 * The Slack receivers. Every request is verified on its raw bytes before anything parses it;
 * `event_callback`s are stored on `slack-events` once per `event_id` (a Slack retry of a stored
 * event is acknowledged without a second job), slash commands and interactions are stored and
 * acknowledged at once. Nothing is answered 200 unless it was stored (or is a handshake or
 * notice that carries no work); with Redis down the answer is 503, so Slack retries.
 */
export function registerSlackRoutes(app: Express, ctx: RouteContext): void {
  const { producer, enqueued, limits, clock } = ctx;
  const signingSecret = ctx.config.api.slackSigningSecret;
  const enqueuedSlack = enqueued.labels('slack-events');

  async function readVerifiedBody(req: Request): Promise<Buffer> {
    if (signingSecret === undefined) throw new SlackNotConfiguredError();
    const rawBody = await readBody(req, limits.slackBodyBytes);
    const verdict = verifySlackSignature({
      signingSecret,
      rawBody,
      headers: req.headers,
      nowSeconds: Math.floor(clock.now() / 1000),
    });
    if (!verdict.ok) throw new SlackSignatureInvalidError(verdict.reason);
    return rawBody;
  }

  app.post('/slack/events', async (req, res) => {
    const rawBody = await readVerifiedBody(req);
    assertMediaType(req, 'application/json');
    const envelope = parseJson(rawBody.toString('utf8'));
    const type = isRecord(envelope) ? envelope.type : undefined;

    if (type === 'url_verification') {
      const { challenge } = validate(slackUrlVerificationSchema, envelope);
      sendJson(res, 200, { challenge });
      return;
    }
    if (type === 'event_callback') {
      const result = await producer.enqueue('slack-events', { data: envelope });
      if (!result.deduplicated) enqueuedSlack.inc();
      const retryNum = req.headers['x-slack-retry-num'];
      if (retryNum !== undefined || result.deduplicated) {
        req.log.info(
          {
            jobId: result.id,
            deduplicated: result.deduplicated,
            retryNum,
            retryReason: req.headers['x-slack-retry-reason'],
          },
          'Slack event redelivery acknowledged',
        );
      }
      sendJson(res, 200, { ok: true, id: result.id, deduplicated: result.deduplicated });
      return;
    }
    if (type === 'app_rate_limited') {
      req.log.warn('Slack reports it is rate limiting event deliveries to this app');
      sendJson(res, 200, { ok: true });
      return;
    }
    throw new PayloadValidationError([
      { path: 'type', message: 'must be "event_callback" or "url_verification"' },
    ]);
  });

  app.post('/slack/commands', async (req, res) => {
    const rawBody = await readVerifiedBody(req);
    assertMediaType(req, 'application/x-www-form-urlencoded');
    const form = parseForm(rawBody);
    // Slack's periodic certificate check carries no command.
    if (form.ssl_check === '1') {
      acknowledge(res);
      return;
    }
    const result = await producer.enqueue('slack-events', {
      name: SLACK_SLASH_COMMAND_JOB,
      data: form,
    });
    if (!result.deduplicated) enqueuedSlack.inc();
    acknowledge(res);
  });

  app.post('/slack/interactions', async (req, res) => {
    const rawBody = await readVerifiedBody(req);
    assertMediaType(req, 'application/x-www-form-urlencoded');
    const { payload } = parseForm(rawBody);
    if (payload === undefined) {
      throw new PayloadValidationError([
        { path: 'payload', message: 'is required: the interaction as a JSON form field' },
      ]);
    }
    const result = await producer.enqueue('slack-events', {
      name: SLACK_INTERACTION_JOB,
      data: parseJson(payload),
    });
    if (!result.deduplicated) enqueuedSlack.inc();
    acknowledge(res);
  });
}
