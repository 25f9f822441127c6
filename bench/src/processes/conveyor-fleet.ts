import type { BenchContext } from '../bench-context.js';
import { type ConveyorApi, startConveyorApi } from './conveyor-api.js';
import { startConveyorWorker } from './conveyor-worker.js';
import type { NodeProcess } from './node-process.js';

/** The real API and one real worker of a scenario, each registered for cleanup. */
export interface ConveyorFleet {
  api: ConveyorApi;
  worker: NodeProcess;
  stopApi: () => Promise<void>;
  stopWorker: () => Promise<void>;
}

/**
 * Starts the real API (`apiProcesses` HTTP processes, `APP_SETTINGS.apiProcesses` unless given)
 * and a real worker on `queues` at `concurrency` (CPU-profiled when the run asks for it), on the
 * scenario's Redis and folder, each stopped by the run's cleanup stack.
 */
export async function startConveyorFleet(
  ctx: BenchContext,
  worker: { queues: string[]; concurrency: number; name: string },
  apiProcesses?: number,
): Promise<ConveyorFleet> {
  const profile = ctx.options.cpuProfDir ? { cpuProfDir: ctx.options.cpuProfDir } : {};
  const api = await startConveyorApi({
    script: ctx.scripts.api,
    redisUrl: ctx.redis.url,
    secret: ctx.secret,
    dir: ctx.dir,
    ...(apiProcesses === undefined ? {} : { processes: apiProcesses }),
    ...profile,
  });
  const stopApi = ctx.cleanup.add('api', () => api.process.stop());
  const started = startConveyorWorker({
    script: ctx.scripts.worker,
    redisUrl: ctx.redis.url,
    dir: ctx.dir,
    ...worker,
    ...profile,
  });
  const stopWorker = ctx.cleanup.add('worker', () => started.stop());
  return { api, worker: started, stopApi, stopWorker };
}
