/**
 * Business keys of `slack-events` jobs, read from wherever each delivery kind carries them:
 * - Events API envelope: `event_id` and `team_id` at the top (an org-wide install has no
 *   `team_id`: the first `authorizations[].team_id`), `event.channel` / `event.user` as strings
 *   or, in `channel_created`, `team_join` and the like, objects with an `id`; reactions carry the
 *   channel in `event.item.channel`;
 * - slash command: `team_id`, `channel_id`, `user_id`;
 * - interaction: `team.id`, `channel.id` (or `container.channel_id`), `user.id`.
 * A key a delivery does not carry is left out.
 */
export const SLACK_SEARCH_KEYS = {
  event_id: (data: unknown) => text(at(data, 'event_id')),
  team_id: (data: unknown) =>
    text(at(data, 'team_id')) ??
    idOf(at(data, 'team')) ??
    text(at(first(at(data, 'authorizations')), 'team_id')),
  channel: (data: unknown) =>
    text(at(data, 'channel_id')) ??
    idOf(at(data, 'channel')) ??
    text(at(at(data, 'container'), 'channel_id')) ??
    idOf(at(at(data, 'event'), 'channel')) ??
    text(at(at(at(data, 'event'), 'item'), 'channel')),
  user: (data: unknown) =>
    text(at(data, 'user_id')) ?? idOf(at(data, 'user')) ?? idOf(at(at(data, 'event'), 'user')),
} as const;

function at(value: unknown, key: string): unknown {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
    ? (value as Record<string, unknown>)[key]
    : undefined;
}

function first(value: unknown): unknown {
  return Array.isArray(value) ? value[0] : undefined;
}

function text(value: unknown): string | undefined {
  return typeof value === 'string' && value !== '' ? value : undefined;
}

/** A string, or the `id` of an object. */
function idOf(value: unknown): string | undefined {
  return text(value) ?? text(at(value, 'id'));
}
