import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Redis } from 'ioredis';
import { cbError } from '../errors/index.js';

/** Where the `.lua` files sit next to this module; the build copies `shared/lock/scripts/*.lua` into dist. */
export const SCRIPTS_DIR = join(__dirname, 'scripts');

/**
 * One Lua script file, run by SHA (EVALSHA) with a fallback to EVAL when the server does not have it
 * yet (first call, a restart, SCRIPT FLUSH); EVAL also caches it for the next EVALSHA. Nothing is
 * registered on the client, so a client shared with other code is left untouched.
 */
export class LuaScript {
  readonly name: string;
  readonly source: string;
  readonly sha: string;
  private readonly numberOfKeys: number;

  constructor(name: string, numberOfKeys: number) {
    const file = join(SCRIPTS_DIR, name);
    if (!existsSync(file)) {
      throw cbError('CB_ERR_INTERNAL', `Lua script ${file} is missing: the build must copy shared/lock/scripts/*.lua next to the compiled lock module`);
    }
    this.name = name;
    this.source = readFileSync(file, 'utf8');
    this.sha = createHash('sha1').update(this.source).digest('hex');
    this.numberOfKeys = numberOfKeys;
  }

  async run(client: Redis, keys: readonly string[], args: readonly (string | number)[]): Promise<unknown> {
    if (keys.length !== this.numberOfKeys) throw new Error(`${this.name} takes ${this.numberOfKeys} keys, got ${keys.length}`);
    try {
      return await client.evalsha(this.sha, this.numberOfKeys, ...keys, ...args);
    } catch (err) {
      if (!(err instanceof Error) || !err.message.startsWith('NOSCRIPT')) throw err;
      return client.eval(this.source, this.numberOfKeys, ...keys, ...args);
    }
  }
}

const loaded = new Map<string, LuaScript>();

/** The script `name` from the scripts folder, read once per process. */
export function luaScript(name: string, numberOfKeys: number): LuaScript {
  let script = loaded.get(name);
  if (!script) loaded.set(name, (script = new LuaScript(name, numberOfKeys)));
  return script;
}
