import { slackEventCallbackSchema } from '@conveyor/queues';
import {
  installationIdsOf,
  type SlackInstallationStore,
  slackWorkspaceOf,
  type UninstallOutcome,
} from '@conveyor/slack';
import { z } from 'zod';
import type { JobHandler } from '../handlers/job-handler.js';
import type { SlackClients } from './delivery/slack-clients.js';
import { type IgnoredResult, slackEventHandler } from './slack-event-handler.js';

/** The Slack events that take a bot token away. */
export const UNINSTALL_EVENTS = ['app_uninstalled', 'tokens_revoked'] as const;

const uninstallEnvelopeSchema = slackEventCallbackSchema.extend({
  event_time: z.number().int().nonnegative().optional(),
  event: z.looseObject({
    type: z.enum(UNINSTALL_EVENTS),
    tokens: z.looseObject({ bot: z.array(z.string().max(64)).max(10_000).optional() }).optional(),
  }),
});

/** What the uninstall handler returns. */
export interface UninstallResult {
  /** `team:<id>` or `enterprise:<id>`. */
  installation: string;
  outcome: UninstallOutcome;
}

/** Options for {@link uninstallHandler}. */
export interface UninstallHandlerOptions {
  installations: SlackInstallationStore;
  /** Its cached client of the workspace is dropped. */
  clients: SlackClients;
  /** @defaultValue Date.now */
  now?: () => number;
}

/**
 * `app_uninstalled` and `tokens_revoked` (with bot tokens): remove the workspace's installation
 * (its organisation's for an org-wide install), so its later jobs dead-letter with
 * `SLACK_NOT_INSTALLED` instead of calling Slack with a dead token.
 *
 * Handled here rather than in the API's receiver because a job is the more reliable home: the
 * event is stored before Slack is answered, like every event, then the removal is retried with
 * backoff and, failing that, kept as a replayable dead letter; in the receiver one failed
 * Redis call would leave it to Slack's three retries. A job may run late (behind a backlog),
 * so the removal compares the event's time with the installation's: a reinstall that overtook
 * the event is kept.
 */
export function uninstallHandler(
  options: UninstallHandlerOptions,
): JobHandler<UninstallResult | IgnoredResult> {
  const now = options.now ?? Date.now;
  return slackEventHandler(async (envelope, _job, context) => {
    const workspace = slackWorkspaceOf(envelope);
    const [installation] = installationIdsOf(workspace);
    if (installation === undefined) {
      return { ignored: true, reason: 'the event names no workspace' } as const;
    }
    const botUserIds = envelope.event.tokens?.bot;
    if (envelope.event.type === 'tokens_revoked' && !botUserIds?.length) {
      return { ignored: true, reason: 'no bot token was revoked' } as const;
    }
    // Slack's event_time is in whole seconds: the second it names ends before the removal
    // counts as later than an install within it.
    const eventTimeMs =
      envelope.event_time === undefined ? now() : (envelope.event_time + 1) * 1000 - 1;
    const outcome = await options.installations.removeUninstalled({
      installationId: installation,
      eventTimeMs,
      ...(botUserIds ? { botUserIds } : {}),
    });
    options.clients.forget(workspace);
    context.logger.info({ installation, outcome, event: envelope.event.type }, 'Slack uninstall');
    return { installation, outcome };
  }, uninstallEnvelopeSchema);
}
