import { describe, expect, it } from 'vitest';
import { atTurnEnd, flushAtTurnEnd } from './at-turn-end.js';

/** Resolves in the check phase of this turn, after the callbacks `atTurnEnd` queued before it. */
const endOfThisTurn = () => new Promise<void>((resolve) => setImmediate(resolve));

describe('atTurnEnd', () => {
  it('runs the tasks of a turn in order, then the flushes, all before the turn ends', async () => {
    const order: string[] = [];
    flushAtTurnEnd(() => order.push('flush'));
    atTurnEnd(() => order.push('task 1'));
    atTurnEnd(() => order.push('task 2'));
    await endOfThisTurn();
    expect(order).toEqual(['task 1', 'task 2', 'flush']);
  });

  it('runs what a task queues in the same turn: its tasks first, then every flush', async () => {
    const order: string[] = [];
    atTurnEnd(() => {
      order.push('task');
      // As a batched store's command corking its connection while the turn ends.
      flushAtTurnEnd(() => order.push('flush queued by the task'));
      atTurnEnd(() => order.push('task queued by the task'));
    });
    flushAtTurnEnd(() => order.push('flush'));
    await endOfThisTurn();
    expect(order).toEqual(['task', 'task queued by the task', 'flush', 'flush queued by the task']);
  });

  it('starts a new batch for the next turn once a turn has run', async () => {
    const order: string[] = [];
    atTurnEnd(() => order.push('first turn'));
    await endOfThisTurn();
    atTurnEnd(() => order.push('second turn'));
    expect(order).toEqual(['first turn']);
    await endOfThisTurn();
    expect(order).toEqual(['first turn', 'second turn']);
  });
});
