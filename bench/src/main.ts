import { existsSync } from 'node:fs';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseInfo } from '@conveyor/redis';
import { createTempDir, RedisServer } from '@conveyor/testing';
import type { BenchContext } from './bench-context.js';
import { parseBenchOptions, type ScenarioName } from './bench-options.js';
import { APP_SETTINGS, newApiSecret } from './processes/app-settings.js';
import { type Figure, failedFigure } from './report/figure.js';
import { formatTextTable } from './report/results-table.js';
import { type BenchResults, writeResults } from './report/write-results.js';
import { measureBulkEnqueue } from './scenarios/bulk-enqueue.js';
import { measureHttpEnqueue } from './scenarios/http-enqueue.js';
import { measureLatency } from './scenarios/latency.js';
import { measureReplicaAckCost } from './scenarios/replica-ack.js';
import { measureRetentionMemory } from './scenarios/retention-memory.js';
import { measureSubscribers } from './scenarios/subscribers.js';
import { measureTenantCost } from './scenarios/tenant-cost.js';
import { measureTenantFairness } from './scenarios/tenant-fairness.js';
import { measureWorkerThroughput } from './scenarios/worker-throughput.js';
import { CleanupStack } from './support/cleanup-stack.js';
import { describeMachine, machineInfo } from './support/machine-info.js';

const REPO_ROOT = fileURLToPath(new URL('../../', import.meta.url));
const REDIS_CONF = `${REPO_ROOT}redis.conf`;

const SCENARIO_RUNNERS: Record<ScenarioName, (ctx: BenchContext) => Promise<Figure[]>> = {
  http: measureHttpEnqueue,
  replica: measureReplicaAckCost,
  bulk: measureBulkEnqueue,
  worker: measureWorkerThroughput,
  latency: measureLatency,
  memory: measureRetentionMemory,
  subscribers: measureSubscribers,
  fairness: measureTenantFairness,
  tenants: measureTenantCost,
};

const log = (line: string) => process.stdout.write(`${line}\n`);

/**
 * `pnpm bench`: starts a throwaway Redis with production's redis.conf (AOF everysec), the real
 * API and worker processes and the plain baselines, measures each figure side by side, prints the
 * table and writes `bench/results/latest.{json,md}`. Exit code 1 when a target is missed.
 */
async function main(): Promise<number> {
  const started = performance.now();
  const options = parseBenchOptions(
    process.argv.slice(2),
    process.env,
    fileURLToPath(new URL('../results', import.meta.url)),
  );
  const scripts = {
    api: `${REPO_ROOT}apps/api/dist/main.js`,
    worker: `${REPO_ROOT}apps/worker/dist/main.js`,
  };
  for (const script of Object.values(scripts)) {
    if (!existsSync(script)) {
      throw new Error(
        `${script} is missing: run \`pnpm bench\` at the repository root (it builds first)`,
      );
    }
  }

  const cleanup = new CleanupStack();
  let interrupted = false;
  const onSignal = (signal: NodeJS.Signals) => {
    if (interrupted) process.exit(130);
    interrupted = true;
    log(`\n${signal}: stopping everything the bench started (again to force)`);
    void cleanup.run().finally(() => process.exit(130));
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);

  try {
    let dir: string;
    if (options.keepLogs) dir = await mkdtemp(join(tmpdir(), 'conveyor-bench-'));
    else {
      const tempDir = await createTempDir('conveyor-bench-');
      cleanup.add('temp folder', () => tempDir.remove());
      dir = tempDir.path;
    }
    const redisConfig = 'redis.conf of the repository, appendonly yes, appendfsync everysec';
    const redis = await RedisServer.start({ configFile: REDIS_CONF, appendonly: true });
    cleanup.add('redis-server', () => redis.stop());
    const client = redis.client({ maxRetriesPerRequest: 3 });
    cleanup.add('redis client', () => void client.disconnect());
    const version = parseInfo(await client.info('server')).get('redis_version') ?? 'unknown';
    const machine = machineInfo(version);
    log(`Conveyor bench, ${options.profile} run: ${options.only.join(', ')}`);
    log(`Machine: ${describeMachine(machine)}`);
    log(`Logs of the processes: ${dir} (${options.keepLogs ? 'kept' : 'removed at the end'})\n`);

    const ctx: BenchContext = {
      options,
      redis,
      client,
      dir,
      scripts,
      secret: newApiSecret(),
      cleanup,
      log,
    };
    const figures: Figure[] = [];
    for (const name of options.only) {
      const scenarioStarted = performance.now();
      log(`[${name}]`);
      try {
        figures.push(...(await SCENARIO_RUNNERS[name](ctx)));
      } catch (error) {
        log(`  failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
        figures.push(failedFigure(name, error));
      }
      log(`  (${Math.round((performance.now() - scenarioStarted) / 1000)} s)\n`);
    }

    const judged = figures.filter((figure) => figure.pass !== null);
    const allTargetsMet = judged.every((figure) => figure.pass === true);
    const durationSeconds = (performance.now() - started) / 1000;
    log(formatTextTable(figures));
    log(`\nMachine: ${describeMachine(machine)}`);
    log(`Took ${Math.round(durationSeconds)} s.`);
    if (options.resultsDir !== undefined) {
      const results: BenchResults = {
        machine,
        profile: options.profile,
        rounds: options.rounds,
        durationSeconds: Math.round(durationSeconds),
        allTargetsMet,
        settings: {
          apps: APP_SETTINGS,
          redis: redisConfig,
          sizes: {
            http: options.http,
            bulk: options.bulk,
            worker: options.worker,
            latency: options.latency,
            memory: options.memory,
            subscribers: options.subscribers,
            fairness: options.fairness,
            tenants: options.tenants,
          },
        },
        figures,
      };
      const written = await writeResults(options.resultsDir, results);
      log(`Wrote ${written.join(' and ')}`);
    }
    if (!options.judge) {
      const ran = figures.every((figure) => Number.isFinite(figure.conveyor));
      log(ran ? 'Smoke run: every figure was measured (targets not judged).' : 'Smoke run FAILED.');
      return ran ? 0 : 1;
    }
    log(allTargetsMet ? 'Every target met.' : 'Some targets were MISSED.');
    return allTargetsMet ? 0 : 1;
  } finally {
    await cleanup.run();
  }
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    process.stderr.write(`bench: ${error instanceof Error ? error.message : String(error)}\n`);
    process.exit(1);
  },
);
