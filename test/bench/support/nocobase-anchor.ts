/**
 * NocoBase 2.2.15 installed once into a cache folder outside the repository and started beside
 * clusterbase (the recipe of ../shared/reference/nocobase-anchor.md, in code):
 * - `ensureNocobase()` installs it on the first run (about 5 minutes: yarn 1, create-nocobase-app and
 *   Node 24 from the npm registry, then `yarn install` and `yarn nocobase install` against a database
 *   `nocobase` of the benchmarks' PostgreSQL server, role `nocobase`) and reuses it afterwards; when the
 *   registry cannot be reached it throws BenchSkipped instead of failing.
 * - `startNocobase(port)` runs its production build (`yarn start`, APP_LAUNCH_MODE=node) in a process
 *   group of its own, stopped by that group.
 * The folder is `$NOCOBASE_ANCHOR_DIR`, by default `$HOME/.cache/nocobase-anchor`; delete it to
 * reinstall. The install's output goes to `install.log` there.
 */
import { execFile } from 'node:child_process';
import { appendFileSync, existsSync, mkdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { Client } from 'pg';
import { SERVICES } from '../../support/services.js';
import { BenchSkipped } from './bench-result.js';
import { startChildServer, type ChildServer } from './child-server.js';

export const NOCOBASE_VERSION = '2.2.15';
export const ANCHOR_DIR = process.env.NOCOBASE_ANCHOR_DIR ?? join(homedir(), '.cache', 'nocobase-anchor');
const APP_DIR = join(ANCHOR_DIR, 'app');
const BIN_DIR = join(ANCHOR_DIR, 'bin');
const TOOLS_DIR = join(ANCHOR_DIR, 'tools');
const LOG = join(ANCHOR_DIR, 'install.log');
const DONE_MARK = join(ANCHOR_DIR, `installed-${NOCOBASE_VERSION}`);
export const NOCOBASE_ROOT = { account: 'admin@nocobase.com', password: 'admin123' } as const;
export const NOCOBASE_DATABASE = 'nocobase';

/** The benchmarks' PostgreSQL server (TEST_DATABASE_URL's host and port) as seen by NocoBase. */
function pgServer(): { host: string; port: string } {
  const url = new URL(SERVICES.postgres.url);
  return { host: url.hostname, port: url.port || '5432' };
}

/** Passed through to the install and the server: the machine's CA bundle and proxy, if any (npm and yarn need them behind a TLS proxy). */
const PASSED_THROUGH = ['NODE_EXTRA_CA_CERTS', 'SSL_CERT_FILE', 'SSL_CERT_DIR', 'HTTPS_PROXY', 'HTTP_PROXY', 'NO_PROXY', 'https_proxy', 'http_proxy', 'no_proxy'];

function toolEnv(): Record<string, string> {
  const passed = Object.fromEntries(PASSED_THROUGH.filter((k) => process.env[k] !== undefined).map((k) => [k, process.env[k]!]));
  return { ...passed, PATH: `${BIN_DIR}:${process.env.PATH ?? ''}`, HOME: process.env.HOME ?? '/tmp' };
}

/** Runs one step of the install, appending its output to install.log; rejects with the log's tail. */
function step(command: string, args: readonly string[], cwd: string): Promise<void> {
  appendFileSync(LOG, `\n$ (${cwd}) ${command} ${args.join(' ')}\n`);
  return new Promise((resolve, reject) => {
    execFile(command, [...args], { cwd, env: toolEnv(), maxBuffer: 256 * 2 ** 20 }, (err, stdout, stderr) => {
      appendFileSync(LOG, stdout + stderr);
      if (err) reject(new Error(`${command} ${args.join(' ')} failed (${err.message.split('\n')[0]}); see ${LOG}:\n${(stdout + stderr).slice(-2000)}`));
      else resolve();
    });
  });
}

/** Whether the npm registry answers (a metadata request for create-nocobase-app, 10 s at most). */
async function registryReachable(): Promise<string | null> {
  const registry = await new Promise<string>((resolve) =>
    execFile('npm', ['config', 'get', 'registry'], (err, out) => resolve(err ? 'https://registry.npmjs.org/' : out.trim())),
  );
  try {
    const res = await fetch(new URL('create-nocobase-app', registry.endsWith('/') ? registry : `${registry}/`), { signal: AbortSignal.timeout(10_000) });
    await res.body?.cancel();
    return res.ok ? registry : null;
  } catch {
    return null;
  }
}

/** The role and database of the recipe, on the benchmarks' PostgreSQL server (idempotent). */
async function ensureDatabase(): Promise<void> {
  const admin = new Client({ connectionString: SERVICES.postgres.url });
  await admin.connect();
  try {
    const role = await admin.query("select 1 from pg_roles where rolname = 'nocobase'");
    if (role.rowCount === 0) await admin.query("create role nocobase login password 'nocobase' superuser");
    const db = await admin.query('select 1 from pg_database where datname = $1', [NOCOBASE_DATABASE]);
    if (db.rowCount === 0) await admin.query(`create database "${NOCOBASE_DATABASE}" owner nocobase`);
  } finally {
    await admin.end();
  }
}

/** Edits `KEY=value` lines of the app's .env (replacing or appending). */
function setEnv(values: Record<string, string>): void {
  const file = join(APP_DIR, '.env');
  let text = existsSync(file) ? readFileSync(file, 'utf8') : '';
  for (const [key, value] of Object.entries(values)) {
    const line = `${key}=${value}`;
    const re = new RegExp(`^${key}=.*$`, 'm');
    text = re.test(text) ? text.replace(re, line) : `${text.trimEnd()}\n${line}\n`;
  }
  writeFileSync(file, text);
}

async function install(registry: string): Promise<void> {
  mkdirSync(TOOLS_DIR, { recursive: true });
  mkdirSync(BIN_DIR, { recursive: true });
  process.stderr.write(`  installing NocoBase ${NOCOBASE_VERSION} into ${ANCHOR_DIR} (first run only, about 5 minutes; log: ${LOG})\n`);
  await ensureDatabase();
  if (!existsSync(join(TOOLS_DIR, 'package.json'))) await step('npm', ['init', '-y'], TOOLS_DIR);
  await step('npm', ['i', 'yarn@1', `create-nocobase-app@${NOCOBASE_VERSION}`, 'node@24'], TOOLS_DIR);
  for (const tool of ['node', 'yarn']) {
    const link = join(BIN_DIR, tool);
    if (!existsSync(link)) symlinkSync(join(TOOLS_DIR, 'node_modules', '.bin', tool), link);
  }
  const { host, port } = pgServer();
  if (!existsSync(join(APP_DIR, 'package.json'))) {
    const envs = [`DB_HOST=${host}`, `DB_PORT=${port}`, `DB_DATABASE=${NOCOBASE_DATABASE}`, 'DB_USER=nocobase', 'DB_PASSWORD=nocobase',
      `INIT_ROOT_EMAIL=${NOCOBASE_ROOT.account}`, `INIT_ROOT_PASSWORD=${NOCOBASE_ROOT.password}`];
    await step(join(TOOLS_DIR, 'node_modules', '.bin', 'create-nocobase-app'), ['app', '--skip-dev-dependencies', '-d', 'postgres', ...envs.flatMap((e) => ['-e', e])], ANCHOR_DIR);
  }
  // Some plugins pin xlsx to a tarball outside the registry: resolve it from the registry instead.
  const pkgFile = join(APP_DIR, 'package.json');
  const pkg = JSON.parse(readFileSync(pkgFile, 'utf8')) as { resolutions?: Record<string, string> };
  pkg.resolutions = { ...pkg.resolutions, xlsx: '0.18.5' };
  writeFileSync(pkgFile, JSON.stringify(pkg, null, 2));
  writeFileSync(join(APP_DIR, '.yarnrc'), `registry "${registry}"\n`);
  await step('yarn', ['install', '--network-timeout', '600000'], APP_DIR);
  await step('yarn', ['nocobase', 'install'], APP_DIR);
  writeFileSync(DONE_MARK, new Date().toISOString());
}

/**
 * NocoBase installed in the cache folder, installing it when missing; throws BenchSkipped when it is
 * missing and the registry cannot be reached.
 */
export async function ensureNocobase(): Promise<void> {
  if (!existsSync(DONE_MARK)) {
    const registry = await registryReachable();
    if (registry === null) {
      throw new BenchSkipped(`NocoBase ${NOCOBASE_VERSION} is not installed in ${ANCHOR_DIR} and the npm registry cannot be reached to install it`);
    }
    await install(registry);
  }
  await ensureDatabase();
  setEnv({ APP_ENV: 'production', APP_HOST: '127.0.0.1', APP_LAUNCH_MODE: 'node', LOGGER_LEVEL: 'warn' });
}

/** Starts the installed NocoBase on `port` (its own process group); resolves once its health check answers 200. */
export function startNocobase(port: number): Promise<ChildServer> {
  return startChildServer({
    name: `NocoBase ${NOCOBASE_VERSION} (yarn start in ${APP_DIR})`,
    command: join(BIN_DIR, 'yarn'),
    args: ['start'],
    cwd: APP_DIR,
    group: true,
    env: { ...toolEnv(), APP_PORT: String(port), APP_HOST: '127.0.0.1' },
    readyUrl: `http://127.0.0.1:${port}/api/__health_check`,
    readyTimeoutMs: 180_000,
    stopTimeoutMs: 10_000,
  });
}
