/**
 * What the bench started, stopped in reverse order: at the end of a run, on an error, and on
 * Ctrl-C. Each stopper runs once; one that fails does not keep the others from running.
 */
export class CleanupStack {
  readonly #stoppers: { name: string; stop: () => Promise<void> | void }[] = [];
  #running: Promise<void> | undefined;

  /** Registers `stop` to run at cleanup; returns a function that runs it early, once. */
  add(name: string, stop: () => Promise<void> | void): () => Promise<void> {
    let done: Promise<void> | undefined;
    const once = async () => {
      done ??= Promise.resolve().then(stop);
      return done;
    };
    const entry = { name, stop: once };
    this.#stoppers.push(entry);
    return async () => {
      const index = this.#stoppers.indexOf(entry);
      if (index >= 0) this.#stoppers.splice(index, 1);
      await once();
    };
  }

  /** Runs every stopper, newest first. Safe to call more than once. */
  run(): Promise<void> {
    this.#running ??= (async () => {
      while (this.#stoppers.length > 0) {
        const entry = this.#stoppers.pop();
        if (entry === undefined) break;
        try {
          await entry.stop();
        } catch (error) {
          process.stderr.write(`bench: stopping ${entry.name} failed: ${String(error)}\n`);
        }
      }
    })();
    return this.#running;
  }
}
