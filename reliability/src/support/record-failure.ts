import { appendFileSync, mkdirSync } from 'node:fs';
import { basename, join } from 'node:path';
import { beforeEach } from 'vitest';
import { FIGURES_DIR } from './paths.js';

/**
 * Vitest setup file: when a scenario's test fails, appends the test's name and the first lines
 * of its error to `results/figures/<scenario>.failure.txt`, which the global teardown prints
 * under the scenario. The table is the tail of a CI log, often the only part one gets to read;
 * without this it said FAILED and not why.
 */
beforeEach((context) => {
  context.onTestFailed(({ task }) => {
    const scenario = basename(task.file.name).replace(/\.test\.ts$/, '');
    const errors = (task.result?.errors ?? []).map((error) =>
      String(error.message ?? error)
        .split('\n')
        .slice(0, 6)
        .join('\n'),
    );
    mkdirSync(FIGURES_DIR, { recursive: true });
    appendFileSync(
      join(FIGURES_DIR, `${scenario}.failure.txt`),
      `${task.name}\n${errors.join('\n') || 'no error message'}\n`,
    );
  });
});
