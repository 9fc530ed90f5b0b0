// The package registry these machines reach serves only linux-x64 builds of platform-specific
// packages, so `npm install` records optional dependencies (darwin/win32/musl binaries) that it cannot
// resolve, and `npm ci` then refuses the lockfile as out of sync. This drops those unresolvable
// optional edges from package-lock.json. Run it after any `npm install` that changes the lockfile.
import { readFileSync, writeFileSync } from 'node:fs';

const file = new URL('../package-lock.json', import.meta.url);
const lock = JSON.parse(readFileSync(file, 'utf8'));
const paths = new Set(Object.keys(lock.packages));

function resolvable(fromPath, name) {
  // Node's resolution: node_modules/<name> next to fromPath, then in each ancestor.
  let base = fromPath;
  for (;;) {
    const candidate = base ? `${base}/node_modules/${name}` : `node_modules/${name}`;
    if (paths.has(candidate)) return true;
    if (!base) return false;
    const idx = base.lastIndexOf('/node_modules/');
    base = idx === -1 ? '' : base.slice(0, idx);
  }
}

let pruned = 0;
for (const [path, entry] of Object.entries(lock.packages)) {
  const optional = entry.optionalDependencies;
  if (!optional) continue;
  for (const name of Object.keys(optional)) {
    if (!resolvable(path, name)) {
      delete optional[name];
      pruned++;
    }
  }
  if (Object.keys(optional).length === 0) delete entry.optionalDependencies;
}
writeFileSync(file, JSON.stringify(lock, null, 2) + '\n');
console.log(`prune-lock-optionals: removed ${pruned} unresolvable optional dependency edges`);
