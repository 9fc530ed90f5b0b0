// Copies the non-TypeScript files the compiled code reads at run time (Lua scripts, SQL) from the
// source tree into dist/, keeping their relative paths.
import { cpSync, readdirSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';

const root = new URL('..', import.meta.url).pathname;
const ASSET = /\.(lua|sql)$/;
let copied = 0;

function walk(dir) {
  for (const name of readdirSync(dir)) {
    const path = join(dir, name);
    if (name === 'node_modules' || name === 'test') continue;
    if (statSync(path).isDirectory()) walk(path);
    else if (ASSET.test(name)) {
      cpSync(path, join(root, 'dist', relative(root, path)));
      copied++;
    }
  }
}
for (const top of ['shared', 'services']) walk(join(root, top));
console.log(`copy-assets: ${copied} files into dist/`);

// The browser pages (TypeScript, bundled for the browser): the supervisor's /admin
// (shared/supervisor/admin-page.ts) and the cluster console's /admin/cluster (shared/cluster-console/cluster-page.ts).
const { buildSync } = await import('esbuild');
for (const page of ['shared/supervisor/admin/page', 'shared/cluster-console/page/page']) {
  buildSync({
    entryPoints: [join(root, `${page}.mts`)],
    outfile: join(root, 'dist', `${page}.js`),
    bundle: true,
    format: 'iife',
    target: 'es2022',
    minify: true,
    logLevel: 'warning',
  });
}
console.log('copy-assets: bundled the browser pages (/admin, /admin/cluster)');
