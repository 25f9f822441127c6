import { describe, expect, it } from 'vitest';
import { alternate, rotate } from '../src/support/alternate.js';

/** A side that records when it ran and returns the round number. */
function side(label: string, order: string[]) {
  return {
    label,
    run: async (round: number) => {
      order.push(`${label}${round}`);
      return round;
    },
    reset: async () => {
      order.push(`reset-${label}`);
    },
  };
}

describe('rounds taken side by side', () => {
  it('rotates three sides so that each runs in each position once in three rounds', async () => {
    const order: string[] = [];
    const samples = await rotate(
      3,
      [side('a', order), side('b', order), side('c', order)],
      () => {},
      String,
    );
    expect(samples).toEqual([
      [1, 2, 3],
      [1, 2, 3],
      [1, 2, 3],
    ]);
    expect(order.filter((step) => !step.startsWith('reset'))).toEqual([
      'a1',
      'b1',
      'c1',
      'b2',
      'c2',
      'a2',
      'c3',
      'a3',
      'b3',
    ]);
    // Every run comes after its side's reset; every side is reset at the end.
    expect(order.slice(-3)).toEqual(['reset-a', 'reset-b', 'reset-c']);
    expect(order.indexOf('reset-b')).toBeLessThan(order.indexOf('b1'));
  });

  it('alternates two sides: Conveyor, baseline, baseline, Conveyor', async () => {
    const order: string[] = [];
    const samples = await alternate(2, side('c', order), side('b', order), () => {}, String);
    expect(samples).toEqual({ conveyor: [1, 2], baseline: [1, 2] });
    expect(order.filter((step) => !step.startsWith('reset'))).toEqual(['c1', 'b1', 'b2', 'c2']);
  });
});
