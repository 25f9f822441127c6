type Callback = () => void;

let tasks: Callback[] = [];
let flushes: Callback[] = [];
let scheduled = false;
/** Taken at load: a test's fake timers must not swallow the turn's one callback (then none ran again). */
const realSetImmediate = setImmediate;

/** Like a throw in a `setImmediate` callback (the process's uncaught-exception handling), without stopping the others. */
function runEach(callbacks: readonly Callback[]): void {
  for (const callback of callbacks) {
    try {
      callback();
    } catch (error) {
      queueMicrotask(() => {
        throw error;
      });
    }
  }
}

/** The one `setImmediate` of a turn: every task, those the tasks queue included, then every flush. */
function runTurnEnd(): void {
  while (tasks.length > 0 || flushes.length > 0) {
    if (tasks.length > 0) {
      const batch = tasks;
      tasks = [];
      runEach(batch);
    } else {
      const batch = flushes;
      flushes = [];
      runEach(batch);
    }
  }
  scheduled = false;
}

function schedule(): void {
  if (scheduled) return;
  scheduled = true;
  realSetImmediate(runTurnEnd);
}

/**
 * Runs `task` at the end of this turn of the event loop (its check phase), in order with every
 * other task queued for the turn: what batches the work of the requests read in one turn (one
 * script call for all their jobs). Called from a task, it runs in the same turn.
 *
 * Unlike a plain `setImmediate`, the Redis commands a task sends leave in this turn: each
 * connection's held writes ({@link flushAtTurnEnd}, `coalesceWrites`) are flushed after the last
 * task. A task's `setImmediate` that wrote while its connection was held would find that turn's
 * flush already run, and its commands would wait a whole further turn of the loop (under load,
 * the handling of every request read in it) before Redis saw them.
 */
export function atTurnEnd(task: Callback): void {
  tasks.push(task);
  schedule();
}

/**
 * Runs `flush` at the end of this turn of the event loop, after every {@link atTurnEnd} task
 * (those queued meanwhile included): how `coalesceWrites` releases a connection's writes. Called
 * from a task or a flush, it runs in the same turn.
 */
export function flushAtTurnEnd(flush: Callback): void {
  flushes.push(flush);
  schedule();
}
