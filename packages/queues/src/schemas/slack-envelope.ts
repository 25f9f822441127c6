import { z } from 'zod';

/**
 * Slack Events API envelopes. Only what the receiver and the catalog use is checked (`type`,
 * `event_id`, `event.type`); everything else is kept exactly as Slack sent it. Slack's own
 * payloads vary by event type (`channel` and `user` are objects in `channel_created` or
 * `team_join`, `team_id` is null in an org-wide install) and gain fields over time: a receiver
 * that checked them would answer 400 to valid events, which Slack drops after 3 retries. Each
 * worker handler validates the fields it reads.
 */

/** The inner event; `type` picks the handler. */
export const slackEventSchema = z.looseObject({
  type: z.string().min(1).max(100),
});

/** `type: "event_callback"`: one event delivery. */
export const slackEventCallbackSchema = z.looseObject({
  type: z.literal('event_callback'),
  event: slackEventSchema,
  event_id: z.string().min(1).max(128),
});
export type SlackEventCallback = z.infer<typeof slackEventCallbackSchema>;

/** `type: "url_verification"`: Slack's handshake when the request URL is configured. */
export const slackUrlVerificationSchema = z.looseObject({
  type: z.literal('url_verification'),
  challenge: z.string().min(1).max(500),
});
export type SlackUrlVerification = z.infer<typeof slackUrlVerificationSchema>;

/** Either envelope the Events API sends to the request URL. */
export const slackEnvelopeSchema = z.discriminatedUnion('type', [
  slackEventCallbackSchema,
  slackUrlVerificationSchema,
]);
export type SlackEnvelope = z.infer<typeof slackEnvelopeSchema>;
