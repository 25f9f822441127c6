export { addressKey } from './address-key.js';
export { checkRedisAtStart, type RedisStartReport } from './check-redis-at-start.js';
export { clientAddress } from './client-address.js';
export { type BoundedServerLimits, createBoundedServer } from './create-bounded-server.js';
export { listenHttpServer } from './listen-http-server.js';
export { logRedisErrors } from './log-redis-errors.js';
export {
  type LifecycleApp,
  ProcessLifecycle,
  type ProcessLifecycleOptions,
} from './process-lifecycle.js';
export { settleWithin } from './settle-within.js';
export { signalExitCode } from './signal-exit-code.js';
export {
  compileTrustProxy,
  type TrustFunction,
  type TrustProxy,
  trustProxyField,
} from './trust-proxy.js';
export { waitForConnections } from './wait-for-connections.js';
