import { setTimeout as delay } from 'node:timers/promises';
import type { ProcessExit } from '@conveyor/testing';
import { request } from './http.js';
import type { WorkerScaling } from './scaled-object.js';
import type { WorkerPool } from './worker-pool.js';

/** Options for {@link BacklogAutoscaler}. */
export interface BacklogAutoscalerOptions {
  /** The ScaledObject's formula: triggers, min and max replicas. */
  scaling: WorkerScaling;
  /** The API the triggers' URLs point at here (their in-cluster origin is replaced by it). */
  apiUrl: string;
  /** Bearer token of the client KEDA authenticates as. */
  token: string;
  pool: WorkerPool;
  /** Most workers this machine runs: the manifest's maximum is a cluster's. */
  maxReplicas: number;
  /** Between two polls (KEDA's `pollingInterval`, shortened). */
  pollIntervalMs: number;
  /**
   * Scale-down stabilisation (the HPA's, 300 s by default, shortened): replicas go down only to
   * the highest count asked for within this window.
   */
  scaleDownWindowMs: number;
}

/** One poll of every trigger and what was decided. */
export interface ScalingStep {
  /** `performance.now()` of the poll. */
  at: number;
  /** Each trigger's value, in the manifest's order. */
  values: number[];
  /** What the formula asked for. */
  desired: number;
  /** Workers the pool keeps after the decision. */
  replicas: number;
}

/**
 * KEDA's `metrics-api` scaler and the HPA it drives, simulated on a {@link WorkerPool}: polls
 * each trigger's URL with the bearer token, reads `valueLocation` from the JSON, asks for
 * `ceil(value / targetValue)` replicas per trigger and takes the largest, bounded by min and
 * max; scales up at once and down after the stabilisation window, by SIGTERM as a Deployment
 * does.
 */
export class BacklogAutoscaler {
  readonly steps: ScalingStep[] = [];
  /** Polls that did not answer 200 with a number, workers that did not start: findings. */
  readonly errors: string[] = [];
  /** The exits of every worker scaled down. */
  readonly exits: Promise<ProcessExit>[] = [];
  readonly #options: BacklogAutoscalerOptions;
  #running = false;
  #loop: Promise<void> | undefined;

  constructor(options: BacklogAutoscalerOptions) {
    this.#options = options;
  }

  /** Replicas the ScaledObject asks for, given each trigger's value, bounded by min and max. */
  desiredReplicas(values: number[]): number {
    const { scaling, maxReplicas } = this.#options;
    const asked = Math.max(
      0,
      ...values.map((value, index) =>
        Math.ceil(value / (scaling.triggers[index]?.targetValue ?? 1)),
      ),
    );
    return Math.min(Math.max(asked, scaling.minReplicaCount), maxReplicas);
  }

  start(): void {
    this.#running = true;
    this.#loop = this.#run();
  }

  /** Ends the polling (running workers stay); resolves once the last decision is applied. */
  async stop(): Promise<void> {
    this.#running = false;
    await this.#loop;
  }

  async #run(): Promise<void> {
    const { pool, pollIntervalMs, scaleDownWindowMs } = this.#options;
    while (this.#running) {
      const at = performance.now();
      const values = await this.#poll();
      if (values !== undefined) {
        const desired = this.desiredReplicas(values);
        const recent = this.steps
          .filter((step) => at - step.at < scaleDownWindowMs)
          .map((step) => step.desired);
        const floor = Math.max(desired, ...recent);
        if (desired > pool.size) {
          await pool.grow(desired - pool.size).catch((error: Error) => {
            this.errors.push(`scaling up: ${error.message.split('\n')[0]}`);
          });
        } else if (floor < pool.size) this.exits.push(...pool.shrinkEach(pool.size - floor));
        this.steps.push({ at, values, desired, replicas: pool.size });
      }
      await delay(pollIntervalMs);
    }
  }

  async #poll(): Promise<number[] | undefined> {
    const { scaling, apiUrl, token } = this.#options;
    const values: number[] = [];
    for (const trigger of scaling.triggers) {
      const url = new URL(trigger.url);
      const answer = await request(`${apiUrl}${url.pathname}${url.search}`, {
        headers: { authorization: `Bearer ${token}` },
        timeoutMs: 5000,
      });
      const value = (answer.json as Record<string, unknown> | undefined)?.[trigger.valueLocation];
      if (answer.status !== 200 || typeof value !== 'number') {
        this.errors.push(`${url.pathname}: ${answer.status} ${answer.error ?? answer.text}`);
        return undefined;
      }
      values.push(value);
    }
    return values;
  }
}
