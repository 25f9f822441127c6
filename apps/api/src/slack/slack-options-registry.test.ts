import { slackSamples } from '@conveyor/testing';
import { describe, expect, it } from 'vitest';
import { SlackOptionsRegistry, type SlackOptionsRequest } from './slack-options-registry.js';

const blockRequest = (actionId?: string): SlackOptionsRequest => ({
  ...slackSamples.blockSuggestion,
  type: 'block_suggestion',
  action_id: actionId,
});
const dialogRequest = (callbackId: string): SlackOptionsRequest => ({
  ...slackSamples.dialogSuggestion,
  type: 'dialog_suggestion',
  callback_id: callbackId,
});
const tickets = { options: [{ text: { type: 'plain_text', text: 'INC-1' }, value: 'INC-1' }] };

describe('SlackOptionsRegistry', () => {
  it('answers with the provider of the action_id or callback_id, kept apart by surface', async () => {
    const grouped = { option_groups: [{ label: 'Open', options: [] }] };
    const registry = new SlackOptionsRegistry()
      .block('pick_ticket', async (request) => {
        expect(request.value).toBe('INC-4');
        return tickets;
      })
      .dialog('bugs', () => grouped);
    expect(await registry.answer(blockRequest('pick_ticket'))).toEqual({
      outcome: 'answered',
      answer: tickets,
    });
    expect(await registry.answer(dialogRequest('bugs'))).toEqual({
      outcome: 'answered',
      answer: grouped,
    });
    // A dialog's callback_id does not reach a Block Kit provider of the same name.
    expect((await registry.answer(blockRequest('bugs'))).outcome).toBe('unregistered');
    expect((await registry.answer(blockRequest(undefined))).outcome).toBe('unregistered');
    expect((await registry.answer(dialogRequest('__proto__'))).answer).toEqual({ options: [] });
  });

  it('gives up on a slow provider at the bound, aborting its signal', async () => {
    let aborted = false;
    const registry = new SlackOptionsRegistry({ timeoutMs: 50 }).block(
      'slow',
      (_request, signal) =>
        new Promise(() => {
          signal.addEventListener('abort', () => {
            aborted = true;
          });
        }),
    );
    expect(await registry.answer(blockRequest('slow'))).toEqual({
      outcome: 'timed-out',
      answer: { options: [] },
    });
    expect(aborted).toBe(true);
  });

  it('answers an empty list for a provider that throws, rejects or returns no options', async () => {
    const registry = new SlackOptionsRegistry()
      .block('throws', () => {
        throw new Error('down');
      })
      .block('rejects', async () => {
        throw new Error('down too');
      })
      .block('junk', () => ({ choices: [] }) as never);
    for (const id of ['throws', 'rejects', 'junk']) {
      const result = await registry.answer(blockRequest(id));
      expect(result).toMatchObject({ outcome: 'failed', answer: { options: [] } });
      expect(result.outcome === 'failed' && result.error).toBeInstanceOf(Error);
    }
  });
});
