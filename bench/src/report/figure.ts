import { median } from '../support/stats.js';

/** One row of the results table. */
export interface Figure {
  /** Stable key, e.g. `http-enqueue`. */
  id: string;
  /** What is measured, with its unit. */
  label: string;
  /** Conveyor's figure (the median of its rounds). */
  conveyor: number;
  /** The baseline's figure, or null where the figure has no baseline. */
  baseline: number | null;
  /** `conveyor / baseline`, or null. */
  ratio: number | null;
  /** The target in words, e.g. `>= 1.5x`. */
  target: string;
  /** Whether the target is met; null for figures reported without a target. */
  pass: boolean | null;
  /** Decimals to print. */
  digits: number;
  /** Every sample behind the figure, in the order taken. */
  samples: { conveyor: number[]; baseline: number[] };
  /** How it was measured, for the JSON and the markdown. */
  notes: string;
}

/**
 * The median of the per-round ratios, each Conveyor round against the baseline round run next to
 * it: load that drifts during a run (other processes on the machine) cancels out of each pair,
 * where it would skew a ratio of the two medians.
 */
export function pairedRatio(samples: Figure['samples']): number {
  return median(
    samples.conveyor.flatMap((value, index) => {
      const baseline = samples.baseline[index];
      return baseline === undefined || baseline === 0 ? [] : [value / baseline];
    }),
  );
}

/**
 * A figure judged by its ratio to the baseline, higher being better; without `minRatio` the
 * ratio is reported and not judged.
 */
export function ratioFigure(init: {
  id: string;
  label: string;
  conveyor: number;
  baseline: number;
  minRatio?: number;
  digits?: number;
  samples: Figure['samples'];
  notes: string;
}): Figure {
  const ratio = pairedRatio(init.samples);
  return {
    id: init.id,
    label: init.label,
    conveyor: init.conveyor,
    baseline: init.baseline,
    ratio,
    target: init.minRatio === undefined ? 'report' : `>= ${init.minRatio}x`,
    pass: init.minRatio === undefined ? null : Number.isFinite(ratio) && ratio >= init.minRatio,
    digits: init.digits ?? 0,
    samples: init.samples,
    notes: init.notes,
  };
}

/** A row for a scenario that failed to run: it counts as a missed target. */
export function failedFigure(id: string, error: unknown): Figure {
  const message = error instanceof Error ? error.message : String(error);
  return {
    id,
    label: `${id}: did not run (${message.split('\n')[0]?.slice(0, 120)})`,
    conveyor: Number.NaN,
    baseline: null,
    ratio: null,
    target: 'runs',
    pass: false,
    digits: 0,
    samples: { conveyor: [], baseline: [] },
    notes: message,
  };
}
