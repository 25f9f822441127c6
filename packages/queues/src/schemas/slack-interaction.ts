import { z } from 'zod';

/**
 * An interactivity payload (the JSON in the `payload` form field): block actions, view
 * submissions, shortcuts and message actions share this outer shape. The legacy verification
 * `token` is dropped by the catalog before the job is stored.
 */
export const slackInteractionSchema = z.looseObject({
  type: z.string().min(1).max(100),
  user: z.looseObject({ id: z.string().min(1).max(64) }),
  team: z.looseObject({ id: z.string().max(64) }).nullish(),
  api_app_id: z.string().max(64).optional(),
  trigger_id: z.string().max(200).optional(),
  response_url: z
    .url({ protocol: /^https?$/ })
    .max(2000)
    .optional(),
  actions: z.array(z.looseObject({})).max(100).optional(),
  view: z.looseObject({}).optional(),
  callback_id: z.string().max(255).optional(),
});
export type SlackInteraction = z.infer<typeof slackInteractionSchema>;
