import { readFileSync } from 'node:fs';
import { join } from 'node:path';

function findVersion(): string {
  // package.json sits at the repository root: two levels up in the source tree, three in dist/.
  for (const up of [['..', '..'], ['..', '..', '..']]) {
    try {
      const pkg = JSON.parse(readFileSync(join(__dirname, ...up, 'package.json'), 'utf8')) as { name?: string; version?: string };
      if (pkg.name === 'clusterbase' && pkg.version) return pkg.version;
    } catch {
      // try the next location
    }
  }
  return '0.0.0';
}

/** clusterbase's version, from the root package.json. */
export const version = findVersion();
