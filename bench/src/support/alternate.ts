/** One side of a side-by-side measurement. */
export interface Contender<T> {
  label: string;
  /** Runs one measured round and returns its sample. */
  run(round: number): Promise<T>;
  /** Runs between rounds, outside the measurement (empty the queue, settle Redis). */
  reset?(): Promise<void>;
}

/** The samples of each side, in the order they were taken. */
export interface AlternatingSamples<T> {
  conveyor: T[];
  baseline: T[];
}

/**
 * Runs `rounds` rounds of each side, alternating so that whatever else the machine does at the
 * time weighs on both sides alike. The order flips every round (Conveyor, baseline, baseline,
 * Conveyor, ...): a side that always ran second would always inherit what the first left behind
 * (Redis freeing the last round's keys, an AOF rewrite), a measurable handicap.
 * Reports progress through `log`.
 */
export async function alternate<T>(
  rounds: number,
  conveyor: Contender<T>,
  baseline: Contender<T>,
  log: (line: string) => void,
  describe: (sample: T) => string,
): Promise<AlternatingSamples<T>> {
  const [c = [], b = []] = await rotate(rounds, [conveyor, baseline], log, describe);
  return { conveyor: c, baseline: b };
}

/**
 * {@link alternate} for any number of sides: round `n` runs them in the given order rotated by
 * `n - 1` places, so that each side runs in each position as often as the others. Returns the
 * samples of each side, in the order of `contenders`.
 */
export async function rotate<T>(
  rounds: number,
  contenders: readonly Contender<T>[],
  log: (line: string) => void,
  describe: (sample: T) => string,
): Promise<T[][]> {
  const samples: T[][] = contenders.map(() => []);
  for (let round = 1; round <= rounds; round++) {
    for (let step = 0; step < contenders.length; step++) {
      const index = (round - 1 + step) % contenders.length;
      const contender = contenders[index] as Contender<T>;
      await contender.reset?.();
      const sample = await contender.run(round);
      samples[index]?.push(sample);
      log(`  round ${round}/${rounds} ${contender.label}: ${describe(sample)}`);
    }
  }
  for (const contender of contenders) await contender.reset?.();
  return samples;
}
