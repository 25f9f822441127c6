import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { FIGURES_DIR, LOGS_DIR, RESULTS_DIR } from './paths.js';

type ScenarioFigures = Record<string, number | string | boolean>;

/**
 * Vitest global setup: clears the previous run's figures and logs, and at the end of the run
 * gathers every scenario's figures into `results/latest.json` and prints them as a table.
 */
export default function setup(): () => void {
  rmSync(FIGURES_DIR, { recursive: true, force: true });
  rmSync(LOGS_DIR, { recursive: true, force: true });
  mkdirSync(FIGURES_DIR, { recursive: true });
  const startedAt = new Date();
  const started = performance.now();

  return () => {
    const scenarios: Record<string, ScenarioFigures> = {};
    const failures: Record<string, string> = {};
    if (existsSync(FIGURES_DIR)) {
      for (const file of readdirSync(FIGURES_DIR).sort()) {
        const text = readFileSync(join(FIGURES_DIR, file), 'utf8');
        if (file.endsWith('.json')) scenarios[file.slice(0, -'.json'.length)] = JSON.parse(text);
        if (file.endsWith('.failure.txt')) failures[file.slice(0, -'.failure.txt'.length)] = text;
      }
    }
    const durationSeconds = Math.round((performance.now() - started) / 100) / 10;
    const summary = { startedAt: startedAt.toISOString(), durationSeconds, scenarios, failures };
    writeFileSync(join(RESULTS_DIR, 'latest.json'), `${JSON.stringify(summary, null, 2)}\n`);
    process.stdout.write(`${table(summary.scenarios, failures, durationSeconds)}\n`);
  };
}

function table(
  scenarios: Record<string, ScenarioFigures>,
  failures: Record<string, string>,
  durationSeconds: number,
): string {
  const lines = ['', `Conveyor reliability suite: ${durationSeconds} s`, ''];
  const width = Math.max(10, ...Object.keys(scenarios).map((name) => name.length));
  for (const [name, figures] of Object.entries(scenarios)) {
    const { passed, ...rest } = figures;
    lines.push(`${name.padEnd(width)}  ${passed ? 'PASSED' : 'FAILED'}`);
    for (const [key, value] of Object.entries(rest)) {
      lines.push(`${''.padEnd(width)}    ${key.padEnd(40)} ${String(value)}`);
    }
    for (const line of failures[name]?.trimEnd().split('\n') ?? []) {
      lines.push(`${''.padEnd(width)}    failure: ${line}`);
    }
  }
  lines.push('', `written to ${join(RESULTS_DIR, 'latest.json')}`);
  return lines.join('\n');
}
