import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { readdirSync } from 'node:fs';
import { freePort } from '../../../shared/db/free-port';
import { listening, waitForPort } from './server-process';
import type { Middleware } from './types';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** The machine's PostgreSQL major version (the newest under /usr/lib/postgresql). */
function pgVersion(): string {
  const versions = readdirSync('/usr/lib/postgresql').filter((v) => /^\d+$/.test(v)).sort((a, b) => Number(a) - Number(b));
  const version = versions.at(-1);
  if (!version) throw new Error('no PostgreSQL server under /usr/lib/postgresql: apt-get install -y postgresql');
  return version;
}

/**
 * A PostgreSQL cluster of its own on a free port (`pg_createcluster VERSION NAME -p P -- --auth=trust`),
 * restarted with `pg_ctlcluster … restart -m immediate` (a crash: no checkpoint, clients cut off) and
 * dropped at the end. It is a separate cluster with its own data directory, never the machine's `main`.
 */
export async function startPostgres(): Promise<Middleware> {
  const version = pgVersion();
  const port = await freePort();
  const name = `cbchaos${randomBytes(4).toString('hex')}`;
  const ctl = (...args: string[]) => execFileSync('pg_ctlcluster', ['--skip-systemctl-redirect', version, name, ...args], { stdio: 'pipe' });
  execFileSync('pg_createcluster', ['-q', version, name, '-p', String(port), '--', '--auth=trust'], { stdio: 'pipe' });
  // Four nodes with their pools, the harness and a restart's reconnect storm fit easily.
  execFileSync('pg_conftool', [version, name, 'set', 'max_connections', '200'], { stdio: 'pipe' });
  ctl('start');
  await waitForPort('postgres', port);
  const url = `postgres://postgres@127.0.0.1:${port}/postgres`;
  const down = async () => {
    while (await listening(port)) await sleep(50);
  };
  return {
    name: 'postgres',
    url,
    port,
    async start() {
      ctl('start');
      await waitForPort('postgres', port);
    },
    async kill() {
      ctl('stop', '-m', 'immediate');
      await down();
    },
    async restart() {
      ctl('restart', '-m', 'immediate');
      await waitForPort('postgres', port);
    },
    async destroy() {
      execFileSync('pg_dropcluster', ['--stop', version, name], { stdio: 'pipe' });
    },
  };
}
