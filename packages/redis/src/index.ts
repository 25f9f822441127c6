export { atTurnEnd, flushAtTurnEnd } from './at-turn-end.js';
export {
  type CheckRedisOptions,
  checkRedis,
  MIN_REDIS_VERSION,
  REQUIRED_MAXMEMORY_POLICY,
  type RedisHealthReport,
  type RedisNodeHealth,
} from './check-redis.js';
export { ConfigError, type ConfigIssue } from './config-error.js';
export { type ConnectionRole, isBlockingRole } from './connection-role.js';
export {
  type CreateRedisConnectionOptions,
  closeRedisConnection,
  createRedisConnection,
  type RedisConnection,
} from './create-redis-connection.js';
export { DeadlineCluster } from './deadline-cluster.js';
export { DeadlineRedis } from './deadline-redis.js';
export { envFields } from './env-fields.js';
export { describeRedisTarget, maskRedisUrl } from './mask-redis-url.js';
export { onCredentialsRejected } from './on-credentials-rejected.js';
export { parseEnvironment } from './parse-environment.js';
export { isVersionAtLeast, parseInfo } from './parse-info.js';
export { probeProblems } from './probe-problems.js';
export { resolveQueuePrefix } from './queue-prefix.js';
export { MAX_QUEUED_ALLOWANCE_MS, queuedAllowanceMs } from './queued-allowance.js';
export { type ReconnectDelayOptions, reconnectDelay } from './reconnect-delay.js';
export type { RedisConfig, RedisNodeAddress, RedisTarget, RedisTlsConfig } from './redis-config.js';
export { redisEnvSchema } from './redis-env.js';
export { sendCommandWithin } from './send-command-within.js';
export { setDeferredDeadline } from './set-deferred-deadline.js';
export { isAuthError, RedisAuthError, waitUntilReady } from './wait-until-ready.js';
export { withTimeout } from './with-timeout.js';
