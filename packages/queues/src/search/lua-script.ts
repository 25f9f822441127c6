import { createHash } from 'node:crypto';
import { type RedisConnection, sendCommandWithin } from '@conveyor/redis';

type ScriptArgs = [number, ...(string | number)[]];

/** True for Redis's answer to an EVALSHA of a script it does not hold. */
export const isNoScript = (error: unknown): boolean =>
  error instanceof Error && /^NOSCRIPT\b/.test(error.message);

/**
 * A Lua script sent by its SHA1, so a call carries no script text; loaded by a plain EVAL when
 * Redis does not hold it (after a restart or `SCRIPT FLUSH`).
 */
export class LuaScript {
  readonly sha: string;

  constructor(readonly lua: string) {
    this.sha = createHash('sha1').update(lua).digest('hex');
  }

  /**
   * Runs it with `args`: the key count, the keys, then the arguments; `extraMs` lengthens the
   * connection's command deadline for this call (see `sendCommandWithin`).
   */
  async run(client: RedisConnection, args: ScriptArgs, extraMs = 0): Promise<unknown> {
    try {
      return extraMs > 0
        ? await sendCommandWithin(client, 'evalsha', [this.sha, ...args], extraMs)
        : await client.evalsha(this.sha, ...args);
    } catch (error) {
      if (!isNoScript(error)) throw error;
      return extraMs > 0
        ? sendCommandWithin(client, 'eval', [this.lua, ...args], extraMs)
        : client.eval(this.lua, ...args);
    }
  }
}
