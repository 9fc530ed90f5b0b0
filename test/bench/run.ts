/**
 * Runs the benchmarks in test/bench one after the other and prints one aligned line per figure:
 * name, ours, reference, unit, ratio (ours / reference). `npm run bench` runs every `*.bench.ts`;
 * `npm run bench -- http ids` runs those, in that order. Exits non-zero only when a benchmark crashes
 * (or an unknown name is asked for), never because of a ratio: the figures are for people to read.
 */
import { readdirSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { join } from 'node:path';
import { BenchSkipped, type BenchModule, type BenchResult } from './support/bench-result.js';

const BENCH_DIR = __dirname;
const SUFFIX = '.bench.ts';

interface Row {
  readonly bench: string;
  readonly result?: BenchResult;
  readonly crash?: string;
  readonly skipped?: string;
}

function available(): string[] {
  return readdirSync(BENCH_DIR)
    .filter((file) => file.endsWith(SUFFIX))
    .map((file) => file.slice(0, -SUFFIX.length))
    .sort();
}

/** Names from the command line (`http`, `http.bench.ts` or `test/bench/http.bench.ts`), or all. */
function select(args: readonly string[]): string[] {
  const all = available();
  if (args.length === 0) return all;
  const names = [...new Set(args.map((arg) => arg.replace(/^.*\//, '').replace(/\.ts$/, '').replace(/\.bench$/, '')))];
  const unknown = names.filter((name) => !all.includes(name));
  if (unknown.length > 0) {
    console.error(`No benchmark named ${unknown.join(', ')}; available: ${all.join(', ')}`);
    process.exit(2);
  }
  return names;
}

function formatNumber(n: number): string {
  if (!Number.isFinite(n)) return String(n);
  if (Math.abs(n) >= 100) return Math.round(n).toLocaleString('en-US');
  return n.toFixed(2);
}

function ratio(r: BenchResult): string {
  if (r.ratio !== undefined) return `${r.ratio.toFixed(2)}x`;
  return r.reference === 0 || !Number.isFinite(r.ours / r.reference) ? '-' : `${(r.ours / r.reference).toFixed(2)}x`;
}

function printTable(rows: readonly Row[]): void {
  const header = ['benchmark', 'ours', 'reference', 'unit', 'ratio'];
  const cells = rows.map((row) =>
    row.result
      ? [row.result.name, formatNumber(row.result.ours), formatNumber(row.result.reference), row.result.unit, ratio(row.result)]
      : row.skipped !== undefined
        ? [`${row.bench}: SKIPPED (${row.skipped})`, '', '', '', '']
        : [`${row.bench}: CRASHED (${row.crash ?? 'no figures'})`, '', '', '', ''],
  );
  const widths = header.map((h, i) => Math.max(h.length, ...cells.map((c) => c[i]!.length)));
  // Name and unit read left-aligned, numbers right-aligned.
  const line = (c: readonly string[]) =>
    c.map((cell, i) => (i === 0 || i === 3 ? cell.padEnd(widths[i]!) : cell.padStart(widths[i]!))).join('  ').trimEnd();
  console.log(line(header));
  console.log(widths.map((w) => '-'.repeat(w)).join('  '));
  for (const c of cells) console.log(line(c));
}

async function main(): Promise<number> {
  const names = select(process.argv.slice(2));
  const cpuList = cpus();
  console.log(`clusterbase benchmarks: ${names.join(', ')}`);
  console.log(`node ${process.version}, ${cpuList.length} CPUs (${cpuList[0]?.model.trim() ?? 'unknown model'}), load average ${loadavg().map((l) => l.toFixed(2)).join(' ')}`);
  console.log('');

  const rows: Row[] = [];
  const started = performance.now();
  for (const name of names) {
    const t0 = performance.now();
    process.stderr.write(`running ${name}${SUFFIX} ...\n`);
    try {
      // eslint-disable-next-line @typescript-eslint/no-require-imports -- a bench file picked by name at run time, loaded through tsx's require hook
      const mod = require(join(BENCH_DIR, `${name}${SUFFIX}`)) as Partial<BenchModule>;
      if (typeof mod.run !== 'function') throw new Error(`${name}${SUFFIX} does not export run()`);
      const results = await mod.run();
      if (results.length === 0) throw new Error('returned no figures');
      for (const result of results) rows.push({ bench: name, result });
      process.stderr.write(`  ${name}: ${results.length} figure(s) in ${((performance.now() - t0) / 1000).toFixed(1)} s\n`);
    } catch (err) {
      if (err instanceof BenchSkipped) {
        console.error(`  ${name} skipped: ${err.message}`);
        rows.push({ bench: name, skipped: err.message });
        continue;
      }
      console.error(`  ${name} crashed:`, err);
      rows.push({ bench: name, crash: err instanceof Error ? err.message.split('\n')[0] : String(err) });
    }
  }

  console.log('');
  printTable(rows);
  console.log('');
  console.log(`ratio = ours / reference (for rates, above 1.00x means ours is faster); total ${((performance.now() - started) / 1000).toFixed(0)} s`);
  return rows.some((row) => row.crash !== undefined) ? 1 : 0;
}

main().then(
  // Exit explicitly: a benchmark that left a client open must not keep the runner alive.
  (code) => process.exit(code),
  (err: unknown) => {
    console.error(err);
    process.exit(1);
  },
);
