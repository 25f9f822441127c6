import { type SlackSlashCommand, slackSlashCommandSchema } from '@conveyor/queues';
import { defineHandler, type JobHandler } from '../handlers/job-handler.js';
import { attemptTag } from './delivery/attempt-tag.js';
import type { ReplyLedger } from './delivery/reply-ledger.js';
import type { ResponseUrlClient } from './delivery/response-url-client.js';
import { sendOnce } from './delivery/send-once.js';

/** A message for a `response_url`, as Slack accepts it. */
export interface SlashCommandResponse extends Record<string, unknown> {
  text: string;
  /** @defaultValue 'ephemeral' (only the user who ran the command sees it) */
  response_type?: 'ephemeral' | 'in_channel';
}

/** Computes the answer to one slash command. */
export type SlashCommandResponder = (
  command: SlackSlashCommand,
) => SlashCommandResponse | Promise<SlashCommandResponse>;

/** What the slash command handler returns. */
export interface SlashCommandResult {
  responded: true;
  command: string;
  /** True when an earlier attempt had already answered and nothing was sent now. */
  deduplicated: boolean;
}

/** Options for {@link slashCommandHandler}. */
export interface SlashCommandHandlerOptions {
  client: ResponseUrlClient;
  ledger: ReplyLedger;
  /** Responders by command (`/deploy`). @defaultValue {} */
  responders?: Record<string, SlashCommandResponder>;
  /** For commands without a responder. @defaultValue an acknowledgement quoting the command */
  fallback?: SlashCommandResponder;
}

/** The default answer: says what was received. */
export const acknowledgeCommand: SlashCommandResponder = (command) => ({
  response_type: 'ephemeral',
  text: `Received \`${command.command}${command.text ? ` ${command.text}` : ''}\``,
});

/**
 * `slash_command`: answers on the command's `response_url` (a JSON POST). Idempotent after a
 * confirmed answer (ledger keyed by `trigger_id`). Slack cannot be asked whether an interrupted
 * POST arrived, so a worker killed during that POST leads to the answer being sent again:
 * at least once, by choice, since a lost answer leaves the user with nothing.
 */
export function slashCommandHandler(
  options: SlashCommandHandlerOptions,
): JobHandler<SlashCommandResult> {
  const responders = options.responders ?? {};
  const fallback = options.fallback ?? acknowledgeCommand;
  return defineHandler({
    schema: slackSlashCommandSchema,
    cancellable: true,
    async handle(command, job, context): Promise<SlashCommandResult> {
      options.client.check(command.response_url);
      const sent = await sendOnce(options.ledger, {
        key: `slash:${command.trigger_id ?? `job-${job.id}`}`,
        attempt: attemptTag(job),
        async send() {
          const message = await (responders[command.command] ?? fallback)(command);
          await options.client.post(
            command.response_url,
            { response_type: 'ephemeral', ...message },
            context.signal,
          );
          return String(Date.now());
        },
      });
      return { responded: true, command: command.command, deduplicated: sent.deduplicated };
    },
  });
}
