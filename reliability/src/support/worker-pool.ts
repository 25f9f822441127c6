import type { ProcessExit } from '@conveyor/testing';
import type { Deployment, WorkerHandle } from './deployment.js';

/**
 * A fixed number of worker processes kept running as a supervisor (systemd, Kubernetes) keeps
 * them: one killed is replaced by a new one. Counts kills, and exits nobody asked for, which
 * are findings.
 */
export class WorkerPool {
  readonly #deployment: Deployment;
  readonly #env: Record<string, string>;
  readonly #workers: WorkerHandle[] = [];
  readonly #killed = new Set<WorkerHandle>();
  readonly #starting = new Set<Promise<void>>();
  #kills = 0;
  #unexpectedExits = 0;
  /** Workers spawned that have not said they run yet. */
  #booting = 0;

  constructor(deployment: Deployment, env: Record<string, string> = {}) {
    this.#deployment = deployment;
    this.#env = env;
  }

  get kills(): number {
    return this.#kills;
  }

  /** Workers that exited although the suite did not kill or stop them. */
  get unexpectedExits(): number {
    return this.#unexpectedExits;
  }

  /** Workers running now. */
  get live(): WorkerHandle[] {
    return this.#workers.filter((worker) => worker.process.running);
  }

  /**
   * Workers the pool keeps, as a Deployment counts its replicas: running or still starting, not
   * stopped or killed by the suite.
   */
  get size(): number {
    return this.#workers.length + this.#booting;
  }

  /** Starts `count` more workers and resolves once all run. */
  async grow(count: number): Promise<void> {
    await Promise.all(Array.from({ length: count }, () => this.#startOne()));
  }

  /**
   * SIGKILLs `victim` (as the OOM killer or a lost node would) and, as a supervisor does, starts
   * a replacement at once; resolves once the victim is gone, while the replacement still boots
   * ({@link settled} waits for it).
   */
  async killAndReplace(victim: WorkerHandle): Promise<void> {
    this.#killed.add(victim);
    this.#workers.splice(this.#workers.indexOf(victim), 1);
    await victim.process.crash();
    this.#kills += 1;
    const replacement = this.#startOne().finally(() => this.#starting.delete(replacement));
    this.#starting.add(replacement);
  }

  /** Resolves once every replacement started so far runs. */
  async settled(): Promise<void> {
    while (this.#starting.size > 0) await Promise.all(this.#starting);
  }

  async #startOne(): Promise<void> {
    this.#booting += 1;
    let worker: WorkerHandle;
    try {
      worker = await this.#deployment.startWorker(this.#env);
    } finally {
      this.#booting -= 1;
    }
    this.#workers.push(worker);
    void worker.process.exited.then(() => {
      if (!this.#killed.has(worker) && this.#workers.includes(worker)) this.#unexpectedExits += 1;
    });
  }

  /**
   * Scales in as a Deployment does: SIGTERMs the `count` newest workers at once (each stops
   * taking jobs and finishes its running ones) and returns their exits, one promise each.
   */
  shrinkEach(count: number): Promise<ProcessExit>[] {
    const leaving = this.#workers.splice(Math.max(0, this.#workers.length - count), count);
    return leaving.map((worker) => worker.process.stop(8000));
  }

  /** Stops every worker gracefully (SIGTERM); a stop is not an unexpected exit. */
  async stop(): Promise<void> {
    await this.settled().catch(() => {});
    const workers = [...this.#workers];
    this.#workers.length = 0;
    await Promise.all(workers.map((worker) => worker.process.stop(8000)));
  }
}
