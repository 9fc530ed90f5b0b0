/**
 * The one way the HTTP-level benchmarks start clusterbase: a node from the compiled build
 * (`node dist/scripts/start.js`) as a child process of this Node, with a minimal environment (nothing
 * inherited from the shell), on free ports, against a schema of the benchmark database
 * `clusterbase_bench` (created when missing; the host part follows TEST_DATABASE_URL), with a fresh
 * APP_KEY / APP_AES_SECRET_KEY and a temporary STORAGE_PATH removed on stop.
 */
import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, chmodSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client } from 'pg';
import { SERVICES } from '../../support/services.js';
import { startChildServer, type ChildServer } from './child-server.js';
import { freePort } from './ports.js';

export const ROOT = join(__dirname, '..', '..', '..');
export const START_SCRIPT = join(ROOT, 'dist', 'scripts', 'start.js');
export const BENCH_DATABASE = 'clusterbase_bench';
export const HOST = '127.0.0.1';

/** The benchmarks' PostgreSQL server with another database in the path. */
export function databaseUrl(database: string = BENCH_DATABASE): string {
  const url = new URL(SERVICES.postgres.url);
  url.pathname = `/${database}`;
  return url.toString();
}

/** Runs `fn` on a connection of its own to `database`, closed afterwards. */
export async function withPg<T>(database: string, fn: (db: Client) => Promise<T>): Promise<T> {
  const db = new Client({ connectionString: databaseUrl(database) });
  await db.connect();
  try {
    return await fn(db);
  } finally {
    await db.end();
  }
}

/** Creates `clusterbase_bench` when missing. */
export async function ensureBenchDatabase(): Promise<void> {
  await withPg('postgres', async (db) => {
    const found = await db.query('select 1 from pg_database where datname = $1', [BENCH_DATABASE]);
    if (found.rowCount === 0) await db.query(`create database "${BENCH_DATABASE}"`);
  });
}

/** Creates `clusterbase_bench` when missing and drops `schema` in it, for a clean run. */
export async function resetBenchSchema(schema: string): Promise<void> {
  await ensureBenchDatabase();
  await withPg(BENCH_DATABASE, (db) => db.query(`drop schema if exists "${schema}" cascade`));
}

export interface ClusterbaseNodeOptions {
  /** DB_SCHEMA. */
  readonly schema: string;
  /** Shown in messages. */
  readonly name?: string;
  /** Extra environment (e.g. WORKER_MODE), on top of the defaults. */
  readonly env?: Readonly<Record<string, string>>;
  /** Node flags before the script (e.g. `--cpu-prof`). */
  readonly nodeArgs?: readonly string[];
}

export interface ClusterbaseNode {
  readonly server: ChildServer;
  /** `http://127.0.0.1:<APP_PORT>`. */
  readonly base: string;
}

/** Starts the node and resolves once its `/readyz` answers 200; `server.stop()` also removes its storage. */
export async function startClusterbase(options: ClusterbaseNodeOptions): Promise<ClusterbaseNode> {
  if (!existsSync(START_SCRIPT)) throw new Error(`${START_SCRIPT} is missing: the benchmark runs the compiled build; run \`npm run build\` first`);
  const [appPort, healthPort] = [await freePort(), await freePort()];
  const storage = mkdtempSync(join(tmpdir(), 'cb-bench-'));
  chmodSync(storage, 0o755);
  let server: ChildServer;
  try {
    server = await startChildServer({
      name: options.name ?? 'clusterbase (node dist/scripts/start.js)',
      args: [...(options.nodeArgs ?? []), START_SCRIPT],
      cwd: ROOT,
      env: {
        PATH: process.env.PATH ?? '',
        HOME: process.env.HOME ?? '/tmp',
        DATABASE_URL: databaseUrl(),
        DB_SCHEMA: options.schema,
        APP_KEY: randomBytes(32).toString('hex'),
        APP_AES_SECRET_KEY: randomBytes(32).toString('hex'),
        STORAGE_PATH: storage,
        APP_HOST: HOST,
        APP_PORT: String(appPort),
        HEALTH_PORT: String(healthPort),
        LOG_LEVEL: 'warn',
        ...options.env,
      },
      readyUrl: `http://${HOST}:${healthPort}/readyz`,
    });
  } catch (err) {
    rmSync(storage, { recursive: true, force: true });
    throw err;
  }
  const started = server;
  return {
    base: `http://${HOST}:${appPort}`,
    server: {
      name: started.name,
      pid: started.pid,
      output: () => started.output(),
      stop: async () => {
        await started.stop();
        rmSync(storage, { recursive: true, force: true });
      },
    },
  };
}
