import { AggregatorRegistry, type Registry } from 'prom-client';
import { isClusterMessage } from './cluster-message.js';

/** Longest wait for the primary's answer; prom-client gives up on a silent process after 5 s. */
const METRICS_TIMEOUT_MS = 6000;

/**
 * In an HTTP process of a multi-process API: makes `registry` collectable by the primary, and
 * returns what `/metrics` serves, the sum over every process, asked of the primary over IPC.
 */
export function clusterMetrics(registry: Registry): () => Promise<string> {
  AggregatorRegistry.setRegistries([registry]);
  // Constructing one installs prom-client's listener that answers the primary's collection.
  new AggregatorRegistry();
  const pending = new Map<
    number,
    { resolve: (text: string) => void; reject: (error: Error) => void }
  >();
  let nextId = 0;
  process.on('message', (message: unknown) => {
    if (!isClusterMessage(message) || message.type !== 'conveyor:metrics-response') return;
    const request = pending.get(message.requestId);
    if (!request) return;
    pending.delete(message.requestId);
    if (message.error !== undefined) request.reject(new Error(message.error));
    else request.resolve(message.text ?? '');
  });
  return () =>
    new Promise<string>((resolve, reject) => {
      const requestId = nextId++;
      const timer = setTimeout(() => {
        pending.delete(requestId);
        reject(new Error('the primary process did not answer with the metrics'));
      }, METRICS_TIMEOUT_MS);
      pending.set(requestId, {
        resolve: (text) => {
          clearTimeout(timer);
          resolve(text);
        },
        reject: (error) => {
          clearTimeout(timer);
          reject(error);
        },
      });
      process.send?.({ type: 'conveyor:metrics-request', requestId });
    });
}
