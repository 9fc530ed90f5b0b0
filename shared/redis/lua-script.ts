import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Redis } from 'ioredis';
import { cbError } from '../errors/index.js';

/**
 * One Lua script file, run by SHA (EVALSHA) with a fallback to EVAL when the server does not have it
 * yet (first call, a restart, a failover to a replica, SCRIPT FLUSH); EVAL also caches it for the next
 * EVALSHA. Nothing is registered on the client, so a client shared with other code is left untouched.
 */
export class LuaScript {
  readonly name: string;
  readonly source: string;
  readonly sha: string;
  readonly numberOfKeys: number;

  constructor(file: string, numberOfKeys: number) {
    if (!existsSync(file)) {
      throw cbError('CB_ERR_INTERNAL', `Lua script ${file} is missing: the build must copy shared/**/scripts/*.lua next to the compiled modules (npm run build)`);
    }
    this.name = file.split(/[\\/]/).slice(-1)[0]!;
    this.source = readFileSync(file, 'utf8');
    this.sha = createHash('sha1').update(this.source).digest('hex');
    this.numberOfKeys = numberOfKeys;
  }

  async run(client: Redis, keys: readonly string[], args: readonly (string | number)[]): Promise<unknown> {
    if (keys.length !== this.numberOfKeys) throw cbError('CB_ERR_INTERNAL', `${this.name} takes ${this.numberOfKeys} keys, got ${keys.length}`);
    try {
      return await client.evalsha(this.sha, this.numberOfKeys, ...keys, ...args);
    } catch (err) {
      if (!(err instanceof Error) || !err.message.startsWith('NOSCRIPT')) throw err;
      return client.eval(this.source, this.numberOfKeys, ...keys, ...args);
    }
  }
}

const loaded = new Map<string, LuaScript>();

/**
 * The script `name` in the folder `dir` (a module's `join(__dirname, 'scripts')`), read once per
 * process. Each script's header names its keys and arguments.
 */
export function luaScript(dir: string, name: string, numberOfKeys: number): LuaScript {
  const file = join(dir, name);
  let script = loaded.get(file);
  if (!script) loaded.set(file, (script = new LuaScript(file, numberOfKeys)));
  return script;
}
