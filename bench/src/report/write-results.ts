import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { BenchOptions } from '../bench-options.js';
import type { APP_SETTINGS } from '../processes/app-settings.js';
import { describeMachine, type MachineInfo } from '../support/machine-info.js';
import type { Figure } from './figure.js';
import { formatMarkdownTable } from './results-table.js';

/** Everything a run found, as `latest.json` holds it. */
export interface BenchResults {
  machine: MachineInfo;
  profile: BenchOptions['profile'];
  rounds: number;
  durationSeconds: number;
  allTargetsMet: boolean;
  settings: {
    apps: typeof APP_SETTINGS;
    redis: string;
    sizes: Pick<
      BenchOptions,
      'http' | 'bulk' | 'worker' | 'latency' | 'memory' | 'subscribers' | 'fairness' | 'tenants'
    >;
  };
  figures: Figure[];
}

/** The markdown copy: the table, the machine, and how each figure was measured. */
export function resultsMarkdown(results: BenchResults): string {
  return [
    `# Conveyor benchmark (${results.profile} run)`,
    '',
    formatMarkdownTable(results.figures),
    '',
    `Machine: ${describeMachine(results.machine)}.`,
    '',
    `Median of ${results.rounds} rounds a side, taken alternately (Conveyor, baseline, baseline, Conveyor, ...); ` +
      'the ratio is the median of the per-round ratios (each Conveyor round against the baseline round next to it). ' +
      `The whole run took ${Math.round(results.durationSeconds)} s. Apps: LOG_LEVEL=${results.settings.apps.logLevel}, ` +
      `NODE_ENV=${results.settings.apps.nodeEnv}, RATE_LIMIT_PER_MINUTE=${results.settings.apps.rateLimitPerMinute}, ` +
      `API_PROCESSES=${results.settings.apps.apiProcesses} (${results.settings.apps.latencyApiProcesses} for the latency figures). ` +
      `Redis: ${results.settings.redis}.`,
    '',
    '## How each figure is measured',
    '',
    ...results.figures.map(
      (figure, index) =>
        `- **${figure.label}**: ${figure.notes === results.figures[index - 1]?.notes ? 'as above.' : figure.notes}`,
    ),
    '',
  ].join('\n');
}

/** Writes `latest.json` and `latest.md` into `dir`. */
export async function writeResults(dir: string, results: BenchResults): Promise<string[]> {
  await mkdir(dir, { recursive: true });
  const json = join(dir, 'latest.json');
  const markdown = join(dir, 'latest.md');
  await writeFile(json, `${JSON.stringify(results, null, 2)}\n`);
  await writeFile(markdown, resultsMarkdown(results));
  return [json, markdown];
}
