import { spawn, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { findNginx, renderNginxConf } from '../../../scripts/local-cluster';
import { freePort } from '../../../shared/db';
import { dropSchemas, TEST_DATABASE, uniqueSchema } from '../../support/database';
import { requireBuild, ROOT } from '../../support/node-process';
import { requireServices, SERVICES } from '../../support/services';

const TSX = join(ROOT, 'node_modules', '.bin', 'tsx');

/** `npm run cluster` as a user runs it: scripts/cluster.ts in its own process group (a terminal job). */
function runClusterScript(args: string[], env: Record<string, string> = {}) {
  const child = spawn(TSX, [join(ROOT, 'scripts', 'cluster.ts'), '--quiet', '--skip-build', ...args], {
    cwd: ROOT,
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '/tmp', DATABASE_URL: SERVICES.postgres.url, REDIS_URL: SERVICES.redis.url, TRANSPORTER: SERVICES.nats.url, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true,
  });
  let out = '';
  child.stdout!.on('data', (c: Buffer) => (out += c.toString()));
  child.stderr!.on('data', (c: Buffer) => (out += c.toString()));
  const exited = new Promise<number | string>((resolve) => child.once('exit', (code, sig) => resolve(code ?? sig ?? 'unknown')));
  const waitFor = async (pattern: RegExp) => {
    let done = false;
    void exited.then(() => (done = true));
    while (!pattern.test(out)) {
      if (done) throw new Error(`the script exited before printing ${pattern}:\n${out}`);
      await new Promise((r) => setTimeout(r, 100));
    }
  };
  return { child, exited, waitFor, output: () => out };
}

/** Pids of live processes whose environment holds `entry` (the nodes carry their NAMESPACE). */
function processesWithEnv(entry: string): number[] {
  const pids: number[] = [];
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      if (readFileSync(`/proc/${name}/environ`, 'utf8').split('\0').includes(entry)) pids.push(Number(name));
    } catch {
      // gone, or not ours to read
    }
  }
  return pids;
}

describe('npm run cluster (scripts/cluster.ts)', () => {
  const schema = uniqueSchema('cs');
  afterAll(() => dropSchemas(schema));

  test('the generated nginx config keeps deploy/nginx.conf’s proxy settings and passes nginx -t', () => {
    const nginx = findNginx();
    if (!nginx) throw new Error('nginx is not installed: apt-get install -y nginx-light');
    const prefix = mkdtempSync(join(tmpdir(), 'cb-nginx-conf-'));
    const conf = renderNginxConf({ prefix, listenPort: 18080, upstreams: [18001, 18002], runAsRoot: process.getuid?.() === 0 });
    expect(conf).toContain('daemon off;');
    expect(conf).toMatch(/server 127\.0\.0\.1:18001 max_fails=\d+ fail_timeout=\d+s;/);
    expect(conf).toMatch(/server 127\.0\.0\.1:18002 max_fails=\d+ fail_timeout=\d+s;/);
    expect(conf).not.toMatch(/request-1:13000/);
    expect(conf).toMatch(/proxy_next_upstream error timeout http_502 http_503 http_504;/);
    expect(conf).toMatch(/listen 127\.0\.0\.1:18080;/);
    writeFileSync(join(prefix, 'nginx.conf'), conf);
    const check = spawnSync(nginx, ['-t', '-q', '-p', prefix, '-c', join(prefix, 'nginx.conf')], { encoding: 'utf8' });
    expect({ status: check.status, stderr: check.stderr }).toEqual({ status: 0, stderr: '' });
  });

  test('refuses to start when a backing service is missing, naming it and how to start it', async () => {
    const closed = await freePort();
    const run = runClusterScript(['--database', TEST_DATABASE, '--schema', schema], { TRANSPORTER: `nats://127.0.0.1:${closed}` });
    expect(await run.exited).toBe(1);
    expect(run.output()).toContain(`NATS is not reachable at nats://127.0.0.1:${closed}; start it with:`);
    expect(run.output()).not.toMatch(/PostgreSQL is not reachable|Redis is not reachable/);
  });

  test('starts nginx and four nodes, prints where they are, and Ctrl-C leaves no process behind', async () => {
    requireBuild();
    await requireServices('postgres', 'redis', 'nats');
    const port = await freePort();
    const namespace = `cs${randomBytes(4).toString('hex')}`;
    const run = runClusterScript(['--database', TEST_DATABASE, '--schema', schema, '--namespace', namespace, '--port', String(port)], { APP_KEY: 'cluster-script-test-app-key-a4ff3fee106f4d35aed60abc' });
    try {
      await run.waitFor(/Ctrl-C stops everything/);
      const health = [...run.output().matchAll(/health (http:\/\/127\.0\.0\.1:\d+)\/readyz/g)].map((m) => m[1]!);
      expect(health).toHaveLength(4);
      expect(run.output()).toMatch(/request-1\s+WORKER_MODE=!\s/);
      expect(run.output()).toMatch(/workflow-1\s+WORKER_MODE=workflow:process/);
      expect(run.output()).toMatch(/async-task-1\s+WORKER_MODE=async-task:process/);
      expect((await fetch(`http://127.0.0.1:${port}/api/__health_check`)).status).toBe(200);
      for (const url of health) expect((await fetch(`${url}/readyz`)).status).toBe(200);

      expect(processesWithEnv(`NAMESPACE=${namespace}`)).toHaveLength(4);
      process.kill(-run.child.pid!, 'SIGINT'); // what Ctrl-C sends to the terminal's job
      expect(await run.exited).toBe(0);
      expect(run.output()).toContain('stopped; no process left');
      const prefix = /config (\S+)\/nginx\.conf\)/.exec(run.output())?.[1];
      expect(prefix).toBeDefined();
      const nginxLeft = spawnSync('ps', ['-eo', 'args'], { encoding: 'utf8' }).stdout.split('\n').filter((l) => l.includes(prefix!));
      expect(nginxLeft).toEqual([]);
      expect(processesWithEnv(`NAMESPACE=${namespace}`)).toEqual([]);
      for (const url of [`http://127.0.0.1:${port}`, ...health]) expect(await fetch(`${url}/healthz`).then(() => 'answered', () => 'refused')).toBe('refused');
    } finally {
      if (run.child.exitCode === null) process.kill(-run.child.pid!, 'SIGTERM');
    }
  });
});
