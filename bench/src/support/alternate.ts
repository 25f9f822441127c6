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
  const samples: AlternatingSamples<T> = { conveyor: [], baseline: [] };
  for (let round = 1; round <= rounds; round++) {
    const order = [
      ['conveyor', conveyor],
      ['baseline', baseline],
    ] as const;
    for (const [side, contender] of round % 2 === 1 ? order : [...order].reverse()) {
      await contender.reset?.();
      const sample = await contender.run(round);
      samples[side].push(sample);
      log(`  round ${round}/${rounds} ${contender.label}: ${describe(sample)}`);
    }
  }
  await conveyor.reset?.();
  await baseline.reset?.();
  return samples;
}
