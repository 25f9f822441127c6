import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';

/** What {@link auditScriptKeys} saw. */
export interface ScriptKeyAudit {
  /** Scripts run (`EVAL`, `EVALSHA`, `FCALL`). */
  scripts: number;
  /** Keys the scripts' commands touched. */
  touched: string[];
  /** Keys among them that no script was given in KEYS: wrong on Redis Cluster by contract. */
  undeclared: string[];
}

const SCRIPT_COMMANDS = new Set(['eval', 'evalsha', 'eval_ro', 'evalsha_ro', 'fcall', 'fcall_ro']);

/**
 * Runs `work` while watching the Redis at `url` with MONITOR, and reports the keys that the
 * commands of the scripts it ran touched without being declared in their KEYS (the keys of each
 * command found with `COMMAND GETKEYS`, so by Redis's own key specs). Redis does not enforce this
 * when the keys share a slot, which makes the rule easy to break unseen. MONITOR sees every
 * client: give it a Redis of the test's own, and audit one operation at a time.
 */
export async function auditScriptKeys(
  url: string,
  work: () => Promise<unknown>,
): Promise<ScriptKeyAudit> {
  const client = new Redis(url, { lazyConnect: true });
  await client.connect();
  const monitor = await client.duplicate().monitor();
  const seen: { args: string[]; source: string }[] = [];
  const marker = `audit-end-${randomUUID()}`;
  let onMarker: () => void = () => {};
  const markerSeen = new Promise<void>((resolve) => {
    onMarker = resolve;
  });
  monitor.on('monitor', (_time: string, args: string[], source: string) => {
    if (args[0]?.toLowerCase() === 'echo' && args[1] === marker) onMarker();
    else seen.push({ args, source });
  });
  try {
    await work();
    await client.echo(marker);
    await markerSeen;
  } finally {
    monitor.disconnect();
  }
  try {
    const declared = new Set<string>();
    const touched = new Set<string>();
    let scripts = 0;
    for (const { args, source } of seen) {
      const command = args[0]?.toLowerCase() ?? '';
      if (source !== 'lua') {
        if (SCRIPT_COMMANDS.has(command)) {
          scripts += 1;
          const count = Number(args[2]);
          for (const key of args.slice(3, 3 + count)) declared.add(key);
        }
        continue;
      }
      const keys = (await client.call('COMMAND', 'GETKEYS', ...args).catch(() => [])) as string[];
      for (const key of keys) touched.add(key);
    }
    return {
      scripts,
      touched: [...touched],
      undeclared: [...touched].filter((key) => !declared.has(key)),
    };
  } finally {
    client.disconnect();
  }
}
