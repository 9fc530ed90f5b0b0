/**
 * CPU profiles of an all-in-one node from dist/ under load, one scenario per node run
 * (`node --cpu-prof`): `npx tsx test/bench/support/profile-node.ts <dir> list|create|workflow`.
 * Prints the top self-time functions and the share per package; the .cpuprofile files stay in <dir>
 * (open them in Chrome DevTools). For finding costs, not a benchmark: no figures are compared.
 */
import { randomBytes } from 'node:crypto';
import { mkdirSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Client } from 'pg';
import { databaseUrl, ROOT, startClusterbase } from './clusterbase-node.js';
import { load } from './load.js';
import { call, createCollections, createWorkflow, inParallel, signIn, type ApiSide } from './side.js';


interface Node {
  callFrame: { functionName: string; url: string; lineNumber: number };
  hitCount: number;
  id: number;
}

/** Self time per function and per package, counting only the samples taken from `fromUs` (µs, profile clock) on. */
function summarise(file: string, fromUs: number): void {
  const profile = JSON.parse(readFileSync(file, 'utf8')) as { nodes: Node[]; samples: number[]; timeDeltas: number[]; startTime: number };
  const hits = new Map<number, number>();
  let t = profile.startTime;
  profile.samples.forEach((id, i) => {
    t += profile.timeDeltas[i]!;
    if (t >= fromUs) hits.set(id, (hits.get(id) ?? 0) + 1);
  });
  for (const n of profile.nodes) n.hitCount = n.callFrame.functionName === '(idle)' ? 0 : (hits.get(n.id) ?? 0);
  const total = profile.nodes.reduce((n, x) => n + x.hitCount, 0);
  const byFn = new Map<string, number>();
  const byPkg = new Map<string, number>();
  for (const n of profile.nodes) {
    const url = n.callFrame.url.replace(/^file:\/\//, '');
    const fn = `${n.callFrame.functionName || '(anonymous)'} ${url.replace(/^.*node_modules\//, '').replace(ROOT, '')}:${n.callFrame.lineNumber + 1}`;
    byFn.set(fn, (byFn.get(fn) ?? 0) + n.hitCount);
    const pkg = url === '' ? n.callFrame.functionName : url.includes('node_modules/') ? url.replace(/^.*node_modules\/((@[^/]+\/)?[^/]+).*$/, '$1') : url.startsWith('node:') ? 'node:internal' : url.replace(ROOT, '').replace(/^\/dist\/([^/]+\/[^/]+).*$/, '$1');
    byPkg.set(pkg, (byPkg.get(pkg) ?? 0) + n.hitCount);
  }
  const top = (m: Map<string, number>, k: number) => [...m.entries()].sort((a, b) => b[1] - a[1]).slice(0, k).map(([name, hits]) => `  ${((hits * 100) / total).toFixed(1).padStart(5)}%  ${name}`).join('\n');
  console.log(`${file}: ${total} busy samples in the measured window\nby package/folder:\n${top(byPkg, 25)}\nby function (self):\n${top(byFn, 40)}`);
}

async function main(): Promise<void> {
  const [dir, scenario] = process.argv.slice(2) as [string, string];
  mkdirSync(dir, { recursive: true });
  const schema = `prof_${randomBytes(3).toString('hex')}`;
  const url = databaseUrl();
  const { server, base } = await startClusterbase({ schema, name: 'profiled node', nodeArgs: ['--cpu-prof', `--cpu-prof-dir=${dir}`] });
  const side: ApiSide = { label: 'clusterbase', base, headers: {} };
  const window = { start: 0, end: 0 };
  try {
    await signIn(side, 'nocobase', 'admin123');
    await createCollections(side, 200);
    window.start = performance.now();
    if (scenario === 'list') await load({ url: `${side.base}/api/products:list?pageSize=20&sort=-qty`, connections: 10, duration: 10, headers: side.headers });
    if (scenario === 'create') {
      await load({ url: `${side.base}/api/products:create`, connections: 10, duration: 10, method: 'POST', body: JSON.stringify({ title: 'x', price: 1, qty: 2, active: true }), headers: { ...side.headers, 'content-type': 'application/json' } });
    }
    if (scenario === 'workflow') {
      const id = await createWorkflow(side);
      const pg = new Client({ connectionString: url });
      await pg.connect();
      await inParallel(1000, 20, (i) => call(side, 'POST', 'orders:create', { title: `o${i}`, price: 2.5, qty: 4 }));
      for (;;) {
        const { rows } = await pg.query(`select count(*) as n from "${schema}".executions where "workflowId" = $1 and status is not null and status <> 0`, [id]);
        if (Number(rows[0].n) >= 1000) break;
        await new Promise((r) => setTimeout(r, 50));
      }
      await pg.query(`drop schema "${schema}" cascade`);
      await pg.end();
    }
    window.end = performance.now();
  } finally {
    await server.stop();
  }
  const files = readdirSync(dir).filter((f) => f.endsWith('.cpuprofile')).map((f) => join(dir, f)).sort();
  // The profile's clock is the child's; line the window up from the end (the stop takes what is left).
  const file = files[files.length - 1]!;
  const profile = JSON.parse(readFileSync(file, 'utf8')) as { endTime: number };
  const stopMs = performance.now() - window.end;
  summarise(file, profile.endTime - (stopMs + (window.end - window.start)) * 1000);
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
