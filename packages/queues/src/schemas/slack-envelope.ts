import { z } from 'zod';

/**
 * Slack Events API envelopes. Objects are loose: Slack adds fields over time, and a receiver that
 * rejected unknown fields would start dropping events the day it does.
 */
const slackId = z.string().min(1).max(64);

/** The inner event; `type` picks the handler. */
export const slackEventSchema = z.looseObject({
  type: z.string().min(1).max(100),
  user: z.string().max(64).optional(),
  bot_id: z.string().max(64).optional(),
  subtype: z.string().max(100).optional(),
  text: z.string().max(40_000).optional(),
  channel: z.string().max(64).optional(),
  ts: z.string().max(32).optional(),
  thread_ts: z.string().max(32).optional(),
  event_ts: z.string().max(32).optional(),
});

/** `type: "event_callback"`: one event delivery. */
export const slackEventCallbackSchema = z.looseObject({
  type: z.literal('event_callback'),
  token: z.string().max(200).optional(),
  team_id: slackId.optional(),
  enterprise_id: slackId.nullish(),
  api_app_id: slackId.optional(),
  event: slackEventSchema,
  event_id: z.string().min(1).max(128),
  event_time: z.number().int().nonnegative(),
  event_context: z.string().max(1000).optional(),
  authorizations: z.array(z.looseObject({})).max(100).optional(),
  is_ext_shared_channel: z.boolean().optional(),
});
export type SlackEventCallback = z.infer<typeof slackEventCallbackSchema>;

/** `type: "url_verification"`: Slack's handshake when the request URL is configured. */
export const slackUrlVerificationSchema = z.looseObject({
  type: z.literal('url_verification'),
  token: z.string().max(200).optional(),
  challenge: z.string().min(1).max(500),
});
export type SlackUrlVerification = z.infer<typeof slackUrlVerificationSchema>;

/** Either envelope the Events API sends to the request URL. */
export const slackEnvelopeSchema = z.discriminatedUnion('type', [
  slackEventCallbackSchema,
  slackUrlVerificationSchema,
]);
export type SlackEnvelope = z.infer<typeof slackEnvelopeSchema>;
