import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

export interface LuaScript {
  readonly name: string;
  readonly lua: string;
  readonly sha: string;
}

/**
 * Reads `scripts/<name>` next to this module: the source tree under jest/tsx, and dist/ once the build
 * copies `shared/**\/*.lua` there. Until it does, compiled code falls back to the source tree
 * (dist/shared/worker-id → shared/worker-id), so a checkout that ran `tsc` alone still works.
 */
export function loadScript(name: string): LuaScript {
  const candidates = [join(__dirname, 'scripts', name), join(__dirname, '..', '..', '..', 'shared', 'worker-id', 'scripts', name)];
  const path = candidates.find((candidate) => existsSync(candidate));
  if (!path) throw new Error(`Lua script ${name} not found; looked in ${candidates.join(', ')} (the build must copy shared/**/*.lua into dist)`);
  const lua = readFileSync(path, 'utf8');
  return { name, lua, sha: createHash('sha1').update(lua).digest('hex') };
}
