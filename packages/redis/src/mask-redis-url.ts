import type { RedisConfig } from './redis-config.js';

/** Replaces the password of a redis:// or rediss:// URL with `***`, for logs. */
export function maskRedisUrl(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password) parsed.password = '***';
    return parsed.toString();
  } catch {
    return url.replace(/\/\/([^:@/]*):[^@/]*@/, '//$1:***@');
  }
}

/** A one-line, secret-free description of where a config points, for start-up logs. */
export function describeRedisTarget(config: RedisConfig): string {
  const auth = config.password
    ? `${config.username ?? ''}:***@`
    : config.username
      ? `${config.username}@`
      : '';
  const scheme = config.tls ? 'rediss' : 'redis';
  const { target } = config;
  switch (target.mode) {
    case 'standalone':
      return `${scheme}://${auth}${target.host}:${target.port}/${target.db}`;
    case 'sentinel':
      return `sentinel master "${target.masterName}" via ${target.sentinels.map((n) => `${n.host}:${n.port}`).join(',')} (${scheme}, db ${target.db}${auth ? ', auth' : ''})`;
    case 'cluster':
      return `cluster via ${target.nodes.map((n) => `${n.host}:${n.port}`).join(',')} (${scheme}${auth ? ', auth' : ''})`;
  }
}
