// Preloaded into a worker process (`node --import`) by the dead-letter process test: the process
// kills itself the moment BullMQ has failed a job for good, before any `failed` listener (the
// dead-letter copy) runs. The exact point where a crash used to lose the dead letter.
import { Worker } from 'bullmq';

const emit = Worker.prototype.emit;
Worker.prototype.emit = function emitOrDie(event, ...args) {
  if (event === 'failed' && args[0]?.finishedOn !== undefined) {
    process.kill(process.pid, 'SIGKILL');
  }
  return emit.call(this, event, ...args);
};
