import { z } from 'zod';

/**
 * A slash command, as the form fields Slack posts (all strings). The legacy verification `token`
 * is dropped by the catalog before the job is stored.
 */
export const slackSlashCommandSchema = z.looseObject({
  command: z.string().regex(/^\/\S{1,64}$/, { error: 'must look like /name' }),
  text: z.string().max(4000).default(''),
  team_id: z.string().min(1).max(64),
  team_domain: z.string().max(200).optional(),
  enterprise_id: z.string().max(64).optional(),
  channel_id: z.string().min(1).max(64),
  channel_name: z.string().max(200).optional(),
  user_id: z.string().min(1).max(64),
  user_name: z.string().max(200).optional(),
  api_app_id: z.string().max(64).optional(),
  response_url: z.url({ protocol: /^https?$/, error: 'must be an http(s) URL' }).max(2000),
  trigger_id: z.string().max(200).optional(),
  is_enterprise_install: z.string().max(10).optional(),
});
export type SlackSlashCommand = z.infer<typeof slackSlashCommandSchema>;
