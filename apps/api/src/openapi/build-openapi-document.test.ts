import { execFile } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { createTempDir } from '@conveyor/testing';
import { describe, expect, it } from 'vitest';
import { buildOpenApiDocument } from './build-openapi-document.js';

const REDOCLY = createRequire(import.meta.url).resolve('@redocly/cli/bin/cli.js');

describe('buildOpenApiDocument', () => {
  it("passes Redocly's recommended rules with no error and no warning", async () => {
    // A folder of its own: no redocly.yaml is found, so the built-in recommended rules apply.
    const dir = await createTempDir('openapi-lint-');
    const file = join(dir.path, 'openapi.json');
    await writeFile(file, JSON.stringify(buildOpenApiDocument(), null, 2));
    const result = await promisify(execFile)(
      process.execPath,
      [REDOCLY, 'lint', file, '--extends=recommended', '--format=json'],
      {
        cwd: dir.path,
        // Offline: no telemetry, no update check.
        env: { ...process.env, REDOCLY_TELEMETRY: 'off', REDOCLY_SUPPRESS_UPDATE_NOTICE: 'true' },
      },
    ).catch((error: { stdout: string }) => error);
    const report = JSON.parse(result.stdout) as {
      totals: { errors: number; warnings: number };
      problems: { ruleId: string; message: string; location: { pointer: string }[] }[];
    };
    const problems = report.problems.map(
      (problem) => `${problem.ruleId} at ${problem.location[0]?.pointer}: ${problem.message}`,
    );
    expect(problems).toEqual([]);
    expect(report.totals).toMatchObject({ errors: 0, warnings: 0 });
    await dir.remove();
  });
});
