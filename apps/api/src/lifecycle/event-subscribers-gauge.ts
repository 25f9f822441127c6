import { Gauge, type Registry } from 'prom-client';
import type { JobEventHub } from './job-event-hub.js';

/** `conveyor_api_event_subscribers{kind="wait"|"stream"}`: waits and event streams held now. */
export function createEventSubscribersGauge(registry: Registry, hub: JobEventHub): Gauge<'kind'> {
  return new Gauge({
    name: 'conveyor_api_event_subscribers',
    help: 'Requests waiting with waitMs (kind="wait") and open event streams (kind="stream")',
    labelNames: ['kind'],
    registers: [registry],
    collect() {
      const { wait, stream } = hub.size;
      this.set({ kind: 'wait' }, wait);
      this.set({ kind: 'stream' }, stream);
    },
  });
}
