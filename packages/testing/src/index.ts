import './provided-context.js';

export { auditScriptKeys, type ScriptKeyAudit } from './audit-script-keys.js';
export { type BuildIfStaleOptions, buildIfStale } from './build-if-stale.js';
export { countBlockedReaders } from './count-blocked-readers.js';
export { createTempDir, type TempDir } from './create-temp-dir.js';
export {
  FakeSlack,
  type FakeSlackCall,
  type FakeSlackFault,
  type FakeSlackGrant,
  type FakeSlackInstallation,
  type FakeSlackMessage,
  type FakeSlackOAuthApp,
  type FakeSlackOptions,
  type FakeSlackResponse,
} from './fake-slack.js';
export {
  defaultBinarySearchPath,
  findRedisBinary,
  type RedisBinaryName,
} from './find-redis-binary.js';
export { getFreePort } from './get-free-port.js';
export { isProcessAlive } from './is-process-alive.js';
export { killAllChildren, killOnExit, removeOnExit } from './kill-on-exit.js';
export {
  MaxmemoryRedis,
  type MaxmemoryRedisOptions,
  readUsedMemory,
} from './maxmemory-redis.js';
export { openRawConnection, type RawConnection } from './open-raw-connection.js';
export { Prng } from './prng.js';
export {
  findPromtool,
  type PromtoolVerdict,
  promtoolCheckMetrics,
  requirePromtool,
} from './promtool-check-metrics.js';
export { RedisNotInstalledError } from './redis-not-installed-error.js';
export { RedisServer, type RedisServerOptions } from './redis-server.js';
export { slackObjectShapedEvents, slackSamples } from './slack-samples.js';
export {
  type ChildHandle,
  type ProcessExit,
  type SpawnProcessOptions,
  spawnProcess,
} from './spawn-process.js';
export {
  CLUSTER_SLOTS,
  type RedisClusterHandle,
  type RedisClusterOptions,
  startRedisCluster,
} from './start-redis-cluster.js';
export {
  type RedisReplicaOptions,
  SYNC_NOW,
  startRedisReplica,
  waitForReplicaSync,
} from './start-redis-replica.js';
export {
  type RedisSentinelHandle,
  type RedisSentinelOptions,
  startRedisSentinel,
} from './start-redis-sentinel.js';
export { type WaitForOptions, waitFor } from './wait-for.js';
export { type WaitForHttpOptions, waitForHttp } from './wait-for-http.js';
export {
  type RedisAddress,
  type WithRedisClientOptions,
  withRedisClient,
} from './with-redis-client.js';
