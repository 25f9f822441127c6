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
import { validate } from '../http/validate.js';
import { parseForm } from '../slack/parse-form.js';
import {
  SLACK_OPTIONS_REQUEST_TYPES,
  type SlackOptionsRegistry,
  type SlackOptionsRequest,
} from '../slack/slack-options-registry.js';
import {
  checkSlackSignatureHeaders,
  verifySlackSignature,
} from '../slack/verify-slack-signature.js';
import type { RouteContext } from './route-context.js';

const isRecord = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

/** Largest body of Slack's certificate check: `ssl_check=1&token=<verification token>`. */
const SSL_CHECK_MAX_BYTES = 256;

/** An empty 200: Slack shows a slash command's or interaction's response body to the user. */
function acknowledge(res: Response): void {
  res.statusCode = 200;
  res.setHeader('content-length', 0);
  res.end();
}

const isForm = (req: Request) =>
  req.headers['content-type']?.split(';')[0]?.trim().toLowerCase() ===
  'application/x-www-form-urlencoded';

/**
 * The Slack receivers. Signature headers and the timestamp are checked before the body is read,
 * so a request that cannot verify is refused at once, whatever it is still sending; the body
 * (at most `SLACK_MAX_BODY_BYTES`) is then verified on its raw bytes before anything parses it.
 * `event_callback`s are stored on `slack-events` once per `event_id`, slash commands and
 * interactions once per `trigger_id` (a Slack retry or a replayed request is acknowledged
 * without a second job). Options requests (`block_suggestion`, `dialog_suggestion`) are answered
 * from the options registry, not stored. Nothing is answered 200 unless it was stored (or is a
 * handshake or notice that carries no work); with Redis down the answer is 503, so Slack retries.
 */
export function registerSlackRoutes(
  app: Express,
  ctx: RouteContext,
  slackOptions: SlackOptionsRegistry,
): void {
  const { producer, enqueued, limits, clock } = ctx;
  const signingSecret = ctx.config.api.slackSigningSecret;
  const enqueuedSlack = enqueued.labels('slack-events');

  function requireSecret(): string {
    if (signingSecret === undefined) throw new SlackNotConfiguredError();
    return signingSecret;
  }

  async function readVerifiedBody(req: Request, res: Response): Promise<Buffer> {
    const secret = requireSecret();
    const nowSeconds = Math.floor(clock.now() / 1000);
    const headers = checkSlackSignatureHeaders(req.headers, nowSeconds);
    if (!headers.ok) {
      // The body is left unread: closing the connection is what stops a slow sender.
      res.setHeader('connection', 'close');
      throw new SlackSignatureInvalidError(headers.reason);
    }
    const rawBody = await readBody(req, limits.slackBodyBytes);
    const verdict = verifySlackSignature({
      signingSecret: secret,
      rawBody,
      headers: req.headers,
      nowSeconds,
    });
    if (!verdict.ok) throw new SlackSignatureInvalidError(verdict.reason);
    return rawBody;
  }

  /**
   * Slack's periodic certificate check is not signed: like Slack's SDKs, answer it 200 before
   * verifying. Only a small declared form body without a signature is read to find out.
   */
  async function answeredUnsignedSslCheck(req: Request, res: Response): Promise<boolean> {
    requireSecret();
    if (req.headers['x-slack-signature'] !== undefined || !isForm(req)) return false;
    const declared = Number(req.headers['content-length']);
    if (!(declared > 0 && declared <= SSL_CHECK_MAX_BYTES)) return false;
    const body = await readBody(req, SSL_CHECK_MAX_BYTES);
    if (new URLSearchParams(body.toString('utf8')).get('ssl_check') !== '1') return false;
    req.log.debug("answered Slack's certificate check");
    acknowledge(res);
    return true;
  }

  app.post('/slack/events', async (req, res) => {
    const rawBody = await readVerifiedBody(req, res);
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
    if (await answeredUnsignedSslCheck(req, res)) return;
    const rawBody = await readVerifiedBody(req, res);
    assertMediaType(req, 'application/x-www-form-urlencoded');
    const form = parseForm(rawBody);
    // Slack's certificate check, signed: it carries no command either.
    if (form.ssl_check === '1') {
      acknowledge(res);
      return;
    }
    const result = await producer.enqueue('slack-events', {
      name: SLACK_SLASH_COMMAND_JOB,
      data: form,
    });
    if (!result.deduplicated) enqueuedSlack.inc();
    else req.log.info({ jobId: result.id }, 'Slack slash command seen before; not stored again');
    acknowledge(res);
  });

  app.post('/slack/interactions', async (req, res) => {
    if (await answeredUnsignedSslCheck(req, res)) return;
    const rawBody = await readVerifiedBody(req, res);
    assertMediaType(req, 'application/x-www-form-urlencoded');
    const { payload } = parseForm(rawBody);
    if (payload === undefined) {
      throw new PayloadValidationError([
        { path: 'payload', message: 'is required: the interaction as a JSON form field' },
      ]);
    }
    const interaction = parseJson(payload);
    if (isRecord(interaction) && SLACK_OPTIONS_REQUEST_TYPES.has(interaction.type)) {
      const result = await slackOptions.answer(interaction as SlackOptionsRequest);
      if (result.outcome === 'timed-out' || result.outcome === 'failed') {
        req.log.warn(
          {
            type: interaction.type,
            outcome: result.outcome,
            ...(result.outcome === 'failed' ? { err: result.error } : {}),
          },
          'Slack options provider gave no answer; sent an empty list',
        );
      }
      sendJson(res, 200, result.answer);
      return;
    }
    const result = await producer.enqueue('slack-events', {
      name: SLACK_INTERACTION_JOB,
      data: interaction,
    });
    if (!result.deduplicated) enqueuedSlack.inc();
    else req.log.info({ jobId: result.id }, 'Slack interaction seen before; not stored again');
    acknowledge(res);
  });
}
