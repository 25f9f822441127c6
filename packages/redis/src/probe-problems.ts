import {
  MIN_REDIS_VERSION,
  REQUIRED_MAXMEMORY_POLICY,
  type RedisHealthReport,
} from './check-redis.js';
import { isVersionAtLeast } from './parse-info.js';

const CREDENTIALS_REJECTED = /WRONGPASS|NOAUTH|invalid password|auth/i;
/** `checkRedis`'s problem when `minReplicas` are not online. */
const REPLICAS_MISSING = /replica\(s\) online at .*required/;

/**
 * What an unauthenticated `/readyz` may say about Redis: what is wrong, never where it is (host,
 * port) or what runs there (version). Every app answers its probes with these and logs the full
 * {@link RedisHealthReport}. Empty when Redis is ready.
 */
export function probeProblems(report: RedisHealthReport): string[] {
  if (report.ready) return [];
  if (!report.reachable) {
    const rejected = report.problems.some((problem) => CREDENTIALS_REJECTED.test(problem));
    return [rejected ? 'Redis rejected the credentials' : 'Redis is unreachable'];
  }
  const problems: string[] = [];
  if (report.nodes.some((node) => !isVersionAtLeast(node.version, MIN_REDIS_VERSION))) {
    problems.push(`Redis is older than ${MIN_REDIS_VERSION}`);
  }
  if (report.nodes.some((node) => node.maxmemoryPolicy !== REQUIRED_MAXMEMORY_POLICY)) {
    problems.push(`Redis maxmemory-policy is not ${REQUIRED_MAXMEMORY_POLICY}`);
  }
  if (report.problems.some((problem) => REPLICAS_MISSING.test(problem))) {
    problems.push('fewer Redis replicas online than REDIS_MIN_REPLICAS_ACK requires');
  }
  if (problems.length === 0) problems.push('Redis is not safe for jobs');
  return problems;
}
