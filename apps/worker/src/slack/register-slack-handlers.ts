import { SLACK_SLASH_COMMAND_JOB } from '@conveyor/queues';
import type { HandlerRegistry } from '../handlers/handler-registry.js';
import { type AppMentionHandlerOptions, appMentionHandler } from './app-mention-handler.js';
import { pauseTenantOnRateLimit } from './delivery/pause-tenant-on-rate-limit.js';
import type { ReplyLedger } from './delivery/reply-ledger.js';
import type { ResponseUrlClient } from './delivery/response-url-client.js';
import type { ThreadReplier } from './delivery/thread-replier.js';
import { ignoredEventHandler } from './slack-event-handler.js';
import { type SlashCommandResponder, slashCommandHandler } from './slash-command-handler.js';

/** What the built-in Slack handlers need. */
export interface SlackHandlerServices {
  /** Undefined without `SLACK_BOT_TOKEN`: replies then fail unrecoverably with a clear message. */
  replier: ThreadReplier | undefined;
  ledger: ReplyLedger;
  responseClient: ResponseUrlClient;
  /** Text of `app_mention` replies. */
  composeMentionReply?: AppMentionHandlerOptions['compose'];
  /** Slash command responders by command. */
  slashCommands?: Record<string, SlashCommandResponder>;
}

/**
 * Registers the built-in `slack-events` handlers: `app_mention`, `slash_command`, and the
 * fallback that completes every other event type (and `interaction`) as ignored. Those that
 * call Slack pause their workspace (tenant) on a 429 ({@link pauseTenantOnRateLimit}).
 */
export function registerSlackHandlers(
  registry: HandlerRegistry,
  services: SlackHandlerServices,
): HandlerRegistry {
  return registry
    .register(
      'slack-events',
      'app_mention',
      pauseTenantOnRateLimit(
        appMentionHandler({
          replier: services.replier,
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
