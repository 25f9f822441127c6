/** How big a run is. `full` is what `pnpm bench` runs and what the README quotes. */
export type Profile = 'full' | 'quick' | 'smoke';

/** The figures the bench can measure, by the name `--only` takes. */
export const SCENARIOS = [
  'http',
  'replica',
  'bulk',
  'worker',
  'latency',
  'memory',
  'subscribers',
  'fairness',
  'tenants',
] as const;
export type ScenarioName = (typeof SCENARIOS)[number];

/**
 * Other names `--only` and `--skip` take, for figures measured inside another scenario: the
 * search figure needs the memory scenario's 1,000,000 jobs, so it is taken in the same pass.
 */
const ALIASES: Record<string, ScenarioName> = { search: 'memory' };

/** Everything a run is sized and steered by. */
export interface BenchOptions {
  profile: Profile;
  /** Scenarios to run, in this order. */
  only: ScenarioName[];
  /** Rounds per side for the side-by-side figures (the median is reported). */
  rounds: number;
  /** Where `latest.json` and `latest.md` go; undefined writes nothing. */
  resultsDir: string | undefined;
  /** Folder for `--cpu-prof` profiles of the Conveyor processes; undefined profiles nothing. */
  cpuProfDir: string | undefined;
  /** Leave the run's folder (the processes' logs) in place at the end, to read after a failure. */
  keepLogs: boolean;
  /** Judge the targets (exit 1 when one is missed); smoke runs are too small to judge. */
  judge: boolean;
  http: { connections: number; warmupSeconds: number; seconds: number };
  bulk: { jobs: number; batch: number; inFlight: number };
  worker: {
    /** Slack events drained per round and side. */
    jobs: number;
    /** Inline ingestions drained per round and side. */
    ingestionJobs: number;
    /** Worker concurrencies measured, one pair of rows (Slack, ingestion) each. */
    concurrencies: number[];
    /**
     * Rounds per side (`--rounds` sets it too). More than the other figures' in a full run: with
     * the raw worker on both sides, single rounds' ratios strayed from 1 by up to 0.3 on this
     * machine, so that five rounds' median still missed 0.9x now and then.
     */
    rounds: number;
  };
  latency: { ratePerSecond: number; warmupSeconds: number; seconds: number; concurrency: number };
  memory: {
    jobs: number;
    concurrency: number;
    backlog: number;
    checkpoint: number;
    /** Slack workspaces (tenants) the jobs are spread over, round-robin. */
    tenants: number;
    /** Sequential searches for the 10 marked jobs at the checkpoint and at the end. */
    searchQueries: number;
    /** Searches per second sent while the jobs go through. */
    searchRatePerSecond: number;
  };
  subscribers: { waiters: number; streams: number; connections: number; seconds: number };
  fairness: {
    /** Jobs tenant A enqueues at once (the flood). */
    floodJobs: number;
    /** Jobs tenant B then enqueues, one every `intervalMs`. */
    quietJobs: number;
    intervalMs: number;
    /** Worker concurrency of every side. */
    concurrency: number;
    /** Rounds per side (a flood each). */
    rounds: number;
  };
  tenants: {
    /** Active tenants (groups) of the spread-out side. */
    tenants: number;
    /** Jobs drained per worker round and side. */
    workerJobs: number;
    concurrency: number;
    /** Jobs per bulk-enqueue round and side (in requests of `bulk.batch`). */
    bulkJobs: number;
    /** Measure only the bulk-enqueue figure (`--tenants-bulk-only`), not the worker ones. */
    bulkOnly: boolean;
  };
}

const PROFILES: Record<
  Profile,
  Omit<BenchOptions, 'only' | 'resultsDir' | 'cpuProfDir' | 'keepLogs'>
> = {
  full: {
    profile: 'full',
    rounds: 5,
    judge: true,
    http: { connections: 50, warmupSeconds: 3, seconds: 10 },
    bulk: { jobs: 100_000, batch: 1000, inFlight: 4 },
    worker: { jobs: 20_000, ingestionJobs: 4000, concurrencies: [10, 50, 100], rounds: 9 },
    latency: { ratePerSecond: 1000, warmupSeconds: 2, seconds: 6, concurrency: 10 },
    memory: {
      jobs: 1_000_000,
      concurrency: 50,
      backlog: 20_000,
      checkpoint: 100_000,
      tenants: 100_000,
      searchQueries: 1000,
      searchRatePerSecond: 20,
    },
    subscribers: { waiters: 10_000, streams: 1000, connections: 50, seconds: 10 },
    fairness: { floodJobs: 50_000, quietJobs: 300, intervalMs: 10, concurrency: 50, rounds: 3 },
    tenants: {
      tenants: 1000,
      workerJobs: 20_000,
      concurrency: 50,
      bulkJobs: 50_000,
      bulkOnly: false,
    },
  },
  quick: {
    profile: 'quick',
    rounds: 3,
    judge: true,
    http: { connections: 50, warmupSeconds: 1, seconds: 3 },
    bulk: { jobs: 20_000, batch: 1000, inFlight: 4 },
    worker: { jobs: 10_000, ingestionJobs: 2000, concurrencies: [10, 50, 100], rounds: 3 },
    latency: { ratePerSecond: 1000, warmupSeconds: 3, seconds: 3, concurrency: 10 },
    memory: {
      jobs: 100_000,
      concurrency: 50,
      backlog: 20_000,
      checkpoint: 20_000,
      tenants: 10_000,
      searchQueries: 500,
      searchRatePerSecond: 20,
    },
    subscribers: { waiters: 10_000, streams: 1000, connections: 50, seconds: 5 },
    fairness: { floodJobs: 20_000, quietJobs: 200, intervalMs: 10, concurrency: 50, rounds: 2 },
    tenants: {
      tenants: 1000,
      workerJobs: 10_000,
      concurrency: 50,
      bulkJobs: 20_000,
      bulkOnly: false,
    },
  },
  smoke: {
    profile: 'smoke',
    rounds: 1,
    judge: false,
    http: { connections: 10, warmupSeconds: 0, seconds: 1 },
    bulk: { jobs: 2000, batch: 1000, inFlight: 2 },
    worker: { jobs: 300, ingestionJobs: 50, concurrencies: [10, 50], rounds: 1 },
    latency: { ratePerSecond: 200, warmupSeconds: 0, seconds: 1, concurrency: 10 },
    memory: {
      jobs: 4000,
      concurrency: 50,
      backlog: 2000,
      checkpoint: 1000,
      tenants: 1000,
      searchQueries: 50,
      searchRatePerSecond: 20,
    },
    subscribers: { waiters: 200, streams: 20, connections: 10, seconds: 1 },
    fairness: { floodJobs: 2000, quietJobs: 20, intervalMs: 10, concurrency: 20, rounds: 1 },
    tenants: { tenants: 100, workerJobs: 500, concurrency: 20, bulkJobs: 2000, bulkOnly: false },
  },
};

export const USAGE = `Usage: node dist/main.js [--quick | --smoke] [--only NAME,...] [--skip NAME,...]
                         [--rounds N] [--results-dir DIR | --no-write] [--cpu-prof DIR]
                         [--keep-logs] [--tenants-bulk-only]
                         [--worker-concurrency N,N,...]
  (no flag)  the full run: 5 rounds a side (9 for the worker), 100,000-job bulk, 1,000,000 jobs for memory
  --quick    smaller sizes and 3-second rounds (BENCH_PROFILE=quick does the same)
  --smoke    a tiny run that only proves the bench works; targets are not judged
  --only, --skip  run only these scenarios, or all but these: ${SCENARIOS.join(', ')}
             (search is measured in the memory pass: --only search runs it)
  --worker-concurrency  the worker concurrencies measured (default 10,50,100)
  --keep-logs  leave the processes' logs (the run's temp folder) in place at the end
  --tenants-bulk-only  in the tenants scenario, measure only tenant-bulk-enqueue`;

/** Scenario names from a comma-separated list, aliases resolved; throws on an unknown one. */
function scenarioNames(list: string): ScenarioName[] {
  const names = list.split(',').map((name) => ALIASES[name] ?? name);
  const unknown = names.filter((name) => !(SCENARIOS as readonly string[]).includes(name));
  if (unknown.length > 0) throw new Error(`unknown scenario ${unknown.join(', ')}\n${USAGE}`);
  return names as ScenarioName[];
}

/** Parses the command line (and `BENCH_PROFILE`); throws with a readable message on a bad flag. */
export function parseBenchOptions(
  argv: readonly string[],
  env: Record<string, string | undefined>,
  defaultResultsDir: string,
): BenchOptions {
  let profile: Profile = env.BENCH_PROFILE === 'quick' ? 'quick' : 'full';
  if (env.BENCH_PROFILE === 'smoke') profile = 'smoke';
  let only: ScenarioName[] = [...SCENARIOS];
  let rounds: number | undefined;
  let resultsDir: string | undefined = defaultResultsDir;
  let cpuProfDir: string | undefined;
  let keepLogs = false;
  let tenantsBulkOnly = false;
  let concurrencies: number[] | undefined;
  const args = [...argv];
  const value = (flag: string) => {
    const next = args.shift();
    if (next === undefined) throw new Error(`${flag} needs a value\n${USAGE}`);
    return next;
  };
  while (args.length > 0) {
    const arg = args.shift() as string;
    if (arg === '--') continue;
    if (arg === '--quick') profile = 'quick';
    else if (arg === '--smoke') profile = 'smoke';
    else if (arg === '--only') {
      const names = scenarioNames(value(arg));
      only = SCENARIOS.filter((name) => names.includes(name));
    } else if (arg === '--skip') {
      const names = scenarioNames(value(arg));
      only = only.filter((name) => !names.includes(name));
    } else if (arg === '--rounds') {
      rounds = Number(value(arg));
      if (!Number.isInteger(rounds) || rounds < 1 || rounds > 50) {
        throw new Error(`--rounds must be a whole number from 1 to 50\n${USAGE}`);
      }
    } else if (arg === '--results-dir') resultsDir = value(arg);
    else if (arg === '--no-write') resultsDir = undefined;
    else if (arg === '--cpu-prof') cpuProfDir = value(arg);
    else if (arg === '--keep-logs') keepLogs = true;
    else if (arg === '--tenants-bulk-only') tenantsBulkOnly = true;
    else if (arg === '--worker-concurrency') {
      concurrencies = value(arg).split(',').map(Number);
      if (concurrencies.some((n) => !Number.isInteger(n) || n < 1 || n > 1000)) {
        throw new Error(`--worker-concurrency takes whole numbers from 1 to 1000\n${USAGE}`);
      }
    } else throw new Error(`unknown argument ${arg}\n${USAGE}`);
  }
  if (only.length === 0) throw new Error(`no scenario left to run\n${USAGE}`);
  const base = PROFILES[profile];
  return {
    ...base,
    rounds: rounds ?? base.rounds,
    only,
    resultsDir,
    cpuProfDir,
    keepLogs,
    worker: {
      ...base.worker,
      concurrencies: concurrencies ?? base.worker.concurrencies,
      rounds: rounds ?? base.worker.rounds,
    },
    fairness: { ...base.fairness, rounds: rounds ?? base.fairness.rounds },
    tenants: { ...base.tenants, bulkOnly: tenantsBulkOnly },
  };
}
