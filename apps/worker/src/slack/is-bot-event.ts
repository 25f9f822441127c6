import type { SlackEventCallback } from '@conveyor/queues';

/**
 * True for events a bot caused (ours included). Answering them is how two bots end up replying
 * to each other forever.
 */
export function isBotEvent(event: SlackEventCallback['event']): boolean {
  const botId = event.bot_id;
  return (typeof botId === 'string' && botId !== '') || event.subtype === 'bot_message';
}
