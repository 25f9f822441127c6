import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { FIGURES_DIR } from './paths.js';

export type Figure = number | string | boolean;

/**
 * The measured figures of one scenario, written to `results/figures/<scenario>.json` on every
 * change so that a scenario that fails half-way still reports what it measured. The global
 * teardown gathers them into `results/latest.json` and prints the table.
 */
export class Figures {
  readonly #file: string;
  readonly #values: Record<string, Figure> = {};

  constructor(readonly scenario: string) {
    mkdirSync(FIGURES_DIR, { recursive: true });
    this.#file = join(FIGURES_DIR, `${scenario}.json`);
    this.set('passed', false);
  }

  set(name: string, value: Figure): void {
    this.#values[name] = typeof value === 'number' ? round(value) : value;
    writeFileSync(this.#file, `${JSON.stringify(this.#values, null, 2)}\n`);
  }

  /** Marks the scenario as having reached its end with every assertion met. */
  passed(): void {
    this.set('passed', true);
  }
}

/** Seconds since `startedMs` (a `performance.now()` reading). */
export function secondsSince(startedMs: number): number {
  return (performance.now() - startedMs) / 1000;
}

function round(value: number): number {
  return Number.isInteger(value) ? value : Math.round(value * 1000) / 1000;
}
