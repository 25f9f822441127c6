import { SLACK_SLASH_COMMAND_JOB } from '@conveyor/queues';
import type { SlackInstallationStore } from '@conveyor/slack';
import type { HandlerRegistry } from '../handlers/handler-registry.js';
import { type AppMentionHandlerOptions, appMentionHandler } from './app-mention-handler.js';
import { pauseTenantOnRateLimit } from './delivery/pause-tenant-on-rate-limit.js';
import type { ReplyLedger } from './delivery/reply-ledger.js';
import type { ResponseUrlClient } from './delivery/response-url-client.js';
import type { SlackClients } from './delivery/slack-clients.js';
import { ThreadReplier } from './delivery/thread-replier.js';
import { ignoredEventHandler } from './slack-event-handler.js';
import { type SlashCommandResponder, slashCommandHandler } from './slash-command-handler.js';
import { UNINSTALL_EVENTS, uninstallHandler } from './uninstall-handler.js';

/** What the built-in Slack handlers need. */
export interface SlackHandlerServices {
  /** The Web API client of each job's workspace; throws a permanent error when none serves it. */
  clients: SlackClients;
  /**
   * Installations of the install flow: `app_uninstalled` and `tokens_revoked` remove them.
   * @defaultValue none: those events complete as ignored
   */
  installations?: SlackInstallationStore;
  ledger: ReplyLedger;
  responseClient: ResponseUrlClient;
  /** Text of `app_mention` replies. */
  composeMentionReply?: AppMentionHandlerOptions['compose'];
  /** Slash command responders by command. */
  slashCommands?: Record<string, SlashCommandResponder>;
}

/**
 * Registers the built-in `slack-events` handlers: `app_mention`, `slash_command`, the uninstall
 * events when installations are read, and the fallback that completes every other event type
 * (and `interaction`) as ignored. Those that call Slack pause their workspace (tenant) on a 429
 * ({@link pauseTenantOnRateLimit}).
 */
export function registerSlackHandlers(
  registry: HandlerRegistry,
  services: SlackHandlerServices,
): HandlerRegistry {
  const { clients, installations, ledger } = services;
  if (installations) {
    const handler = uninstallHandler({ installations, clients });
    for (const event of UNINSTALL_EVENTS) registry.register('slack-events', event, handler);
  }
  return registry
    .register(
      'slack-events',
      'app_mention',
      pauseTenantOnRateLimit(
        appMentionHandler({
          replierFor: async (workspace) =>
            new ThreadReplier({
              client: await clients.forWorkspace(workspace, 'reply to app_mention events'),
              ledger,
            }),
          ...(services.composeMentionReply ? { compose: services.composeMentionReply } : {}),
        }),
      ),
    )
    .register(
      'slack-events',
      SLACK_SLASH_COMMAND_JOB,
      pauseTenantOnRateLimit(
        slashCommandHandler({
          client: services.responseClient,
          ledger: services.ledger,
          ...(services.slashCommands ? { responders: services.slashCommands } : {}),
        }),
      ),
    )
    .registerFallback('slack-events', ignoredEventHandler);
}
