import type { SlackEventCallback } from '@conveyor/queues';

/**
 * True for events a bot caused (ours included). Answering them is how two bots end up replying
 * to each other forever.
 */
export function isBotEvent(event: SlackEventCallback['event']): boolean {
  return Boolean(event.bot_id) || event.subtype === 'bot_message';
}
