import { execFileSync, spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from '../shared/db/free-port.js';
import { CHECKOUT, findNginx, nginxFailTimeoutSec, renderNginxConf } from './local-nginx.js';

export { findNginx, renderNginxConf } from './local-nginx.js';

/**
 * A real multi-node clusterbase on one machine, run from this checkout's compiled dist/: nginx in
 * front of request nodes, plus processor nodes, over the machine's PostgreSQL, Redis and NATS.
 * Used by `npm run cluster` (scripts/cluster.ts), the rolling-restart test and the cluster benchmark.
 */

export const DIST = join(CHECKOUT, 'dist');

export interface NodeSpec {
  /** Name in logs and in nginx's upstream (`request-1`…). */
  readonly name: string;
  readonly workerMode: string;
}

/** Two request nodes, one workflow node, one async-task node, as in deploy/compose.yml. */
export const DEFAULT_NODES: readonly NodeSpec[] = [
  { name: 'request-1', workerMode: '!' },
  { name: 'request-2', workerMode: '!' },
  { name: 'workflow-1', workerMode: 'workflow:process' },
  { name: 'async-task-1', workerMode: 'async-task:process' },
];

/**
 * The root password of a local cluster unless INIT_ROOT_PASSWORD is given in `env`: nodes with a
 * transporter refuse `admin123`. It is a development tool on 127.0.0.1; set your own for anything else.
 */
export const LOCAL_CLUSTER_ROOT_PASSWORD = 'local-cluster-root';

export interface LocalClusterOptions {
  readonly databaseUrl: string;
  readonly redisUrl: string;
  readonly natsUrl: string;
  /** PostgreSQL schema of the main app (DB_SCHEMA); the database is the one in databaseUrl. */
  readonly schema: string;
  /** Moleculer namespace: keeps this cluster apart from any other on the same NATS. */
  readonly namespace: string;
  /** Port nginx listens on (127.0.0.1); 0 picks a free one. */
  readonly httpPort?: number;
  readonly nodes?: readonly NodeSpec[];
  /** Shared STORAGE_PATH; a fresh folder under /tmp by default. */
  readonly storagePath?: string;
  /** The nginx configuration the generated one is derived from (default deploy/nginx.conf). */
  readonly nginxConf?: string;
  /** Rebuild dist/ when it is missing or older than the sources (default true; tests leave building to pretest). */
  readonly autoBuild?: boolean;
  /** Extra environment for every node (SHUTDOWN_DELAY, LOG_LEVEL…). */
  readonly env?: Readonly<Record<string, string>>;
  /** Where node and nginx output goes, line by line (default: kept in memory only). */
  readonly onLine?: (source: string, line: string) => void;
  /** false: no nginx; `url` is the first request node's own port (a cluster with one request node). Default true. */
  readonly nginx?: boolean;
}

export interface RunningNode {
  readonly spec: NodeSpec;
  readonly appPort: number;
  readonly healthPort: number;
  child: ChildProcess;
  exited: Promise<number | string>;
  /** How many times it was started (1 at first, +1 per restart). */
  starts: number;
}

/** A clear, actionable reason the cluster cannot start (printed as is by the CLI). */
export class ClusterPrerequisiteError extends Error {}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Whether the first server of `url` accepts TCP (a list — a NATS cluster, Redis Sentinels — counts by its first). */
function reachable(url: string, fallbackPort: number): Promise<boolean> {
  const u = new URL(url.replace(/^([a-z-]+:\/\/)(?:[^@/]*@)?([^,/?#]+).*$/i, '$1$2'));
  return new Promise((resolve) => {
    const socket = connect({ host: u.hostname, port: Number(u.port || fallbackPort) });
    const done = (ok: boolean) => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(2000, () => done(false));
    socket.once('connect', () => done(true));
    socket.once('error', () => done(false));
  });
}

const safeUrl = (url: string) => url.replace(/\/\/[^@/]*@/, '//');

/** Refuses, naming what is missing and how to get it, when nginx or a backing service is not there. */
export async function checkPrerequisites(opts: Pick<LocalClusterOptions, 'databaseUrl' | 'redisUrl' | 'natsUrl' | 'nginx'>): Promise<string> {
  const problems: string[] = [];
  const nginx = opts.nginx === false ? 'none' : findNginx();
  if (!nginx) problems.push('nginx is not installed: apt-get install -y nginx-light (Debian) — the cluster only runs its binary, no system service is needed');
  const services = [
    { name: 'PostgreSQL', url: opts.databaseUrl, port: 5432, start: 'pg_ctlcluster --skip-systemctl-redirect $(ls /etc/postgresql) main start (or set DATABASE_URL)' },
    { name: 'Redis', url: opts.redisUrl, port: 6379, start: 'redis-server --daemonize yes --port 6379 (or set REDIS_URL)' },
    { name: 'NATS', url: opts.natsUrl, port: 4222, start: 'nats-server -p 4222 -js & (or set TRANSPORTER)' },
  ];
  for (const s of services) {
    if (!(await reachable(s.url, s.port))) problems.push(`${s.name} is not reachable at ${safeUrl(s.url)}; start it with: ${s.start}`);
  }
  if (problems.length > 0) throw new ClusterPrerequisiteError(problems.join('\n'));
  return nginx!;
}

function newestMtime(path: string): number {
  const st = statSync(path);
  if (!st.isDirectory()) return /\.(ts|lua|sql)$/.test(path) && !path.endsWith('.d.ts') ? st.mtimeMs : 0;
  let newest = 0;
  for (const name of readdirSync(path)) {
    if (name === 'node_modules' || name === 'test') continue;
    newest = Math.max(newest, newestMtime(join(path, name)));
  }
  return newest;
}

/** True when dist/ is missing or older than a source file it is compiled from. */
export function buildIsStale(): boolean {
  const marker = join(DIST, 'scripts', 'start.js');
  if (!existsSync(marker)) return true;
  const built = statSync(marker).mtimeMs;
  const sources = ['services', 'shared', 'scripts', 'moleculer.config.ts'].map((p) => join(CHECKOUT, p)).filter(existsSync);
  return Math.max(...sources.map(newestMtime)) > built;
}

/**
 * Compiles into dist/ (the same steps as `npm run build`; tsc emits even when some file has a type
 * error, which it reports) and copies the Lua/SQL assets.
 */
export function build(log: (m: string) => void): void {
  log('building dist/ (tsc -p tsconfig.build.json, copy-assets)…');
  const tsc = spawnSync(process.execPath, [join(CHECKOUT, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', 'tsconfig.build.json'], { cwd: CHECKOUT, encoding: 'utf8' });
  if (tsc.status !== 0) log(`tsc reported errors (the build was emitted anyway):\n${(tsc.stdout + tsc.stderr).trim().split('\n').slice(0, 20).join('\n')}`);
  execFileSync(process.execPath, [join(CHECKOUT, 'scripts', 'copy-assets.mjs')], { cwd: CHECKOUT, stdio: 'ignore' });
  // tsc does not touch unchanged outputs: mark the build time for the staleness check.
  const marker = join(DIST, 'scripts', 'start.js');
  if (!existsSync(marker)) throw new ClusterPrerequisiteError('the build did not produce dist/scripts/start.js');
  const now = new Date();
  spawnSync('touch', ['-d', now.toISOString(), marker]);
}

/** One multi-node cluster; start() brings it up, rollingRestart() replaces each node in turn, stop() ends everything. */
export class LocalCluster {
  readonly nodes: RunningNode[] = [];
  httpPort = 0;
  private nginx: { child: ChildProcess; exited: Promise<number | string> } | null = null;
  private prefix = '';
  private storage = '';
  private readonly out = new Map<string, string[]>();
  private stopping = false;
  private stopped: Promise<void> | null = null;

  constructor(private readonly opts: LocalClusterOptions) {}

  /** The generated nginx.conf (under a temporary prefix). */
  get nginxConfPath(): string {
    return join(this.prefix, 'nginx.conf');
  }

  get url(): string {
    if (this.opts.nginx === false) return `http://127.0.0.1:${this.requestNodes()[0]?.appPort ?? 0}`;
    return `http://127.0.0.1:${this.httpPort}`;
  }

  /** The nodes that serve HTTP (WORKER_MODE empty or with `!`). */
  requestNodes(): RunningNode[] {
    return this.nodes.filter((n) => n.spec.workerMode.split(',').map((s) => s.trim()).includes('!') || n.spec.workerMode === '');
  }

  /** The last lines a node (or `nginx`) printed. */
  output(source: string): string {
    return (this.out.get(source) ?? []).join('\n');
  }

  private line(source: string, text: string): void {
    const lines = this.out.get(source) ?? [];
    lines.push(text);
    if (lines.length > 2000) lines.splice(0, lines.length - 2000);
    this.out.set(source, lines);
    this.opts.onLine?.(source, text);
  }

  env(spec: NodeSpec, appPort: number, healthPort: number): Record<string, string> {
    return {
      PATH: process.env.PATH ?? '',
      HOME: process.env.HOME ?? '/tmp',
      NODE_ID: `${this.opts.namespace}-${spec.name}`,
      WORKER_MODE: spec.workerMode,
      APP_HOST: '127.0.0.1',
      APP_PORT: String(appPort),
      HEALTH_PORT: String(healthPort),
      DATABASE_URL: this.opts.databaseUrl,
      DB_SCHEMA: this.opts.schema,
      TRANSPORTER: this.opts.natsUrl,
      NAMESPACE: this.opts.namespace,
      REDIS_URL: this.opts.redisUrl,
      CACHE_DEFAULT_STORE: 'redis',
      PUBSUB_ADAPTER: 'redis',
      QUEUE_ADAPTER: 'redis',
      LOCK_ADAPTER_DEFAULT: 'redis',
      WORKER_ID_ADAPTER: 'redis',
      STORAGE_PATH: this.storage,
      SHUTDOWN_DELAY: '1',
      LOG_LEVEL: 'info',
      INIT_ROOT_PASSWORD: LOCAL_CLUSTER_ROOT_PASSWORD,
      ...this.opts.env,
    };
  }

  async start(): Promise<void> {
    const nginxBin = await checkPrerequisites(this.opts);
    if (this.opts.autoBuild !== false && buildIsStale()) build((m) => this.line('cluster', m));
    if (!existsSync(join(DIST, 'scripts', 'start.js'))) throw new ClusterPrerequisiteError('dist/ is missing: run `npm run build`');
    this.storage = this.opts.storagePath ?? mkdtempSync(join(tmpdir(), 'cb-cluster-storage-'));
    chmodSync(this.storage, 0o755);
    const specs = this.opts.nodes ?? DEFAULT_NODES;
    for (const spec of specs) {
      this.nodes.push({ spec, appPort: await freePort(), healthPort: await freePort(), child: null as never, exited: Promise.resolve(0), starts: 0 });
    }
    try {
      // The first node migrates the schema (under the cluster's advisory lock); the rest then start together.
      await this.launch(this.nodes[0]!);
      await Promise.all(this.nodes.slice(1).map((n) => this.launch(n)));
      if (this.opts.nginx !== false) await this.startNginx(nginxBin);
    } catch (err) {
      await this.stop();
      throw err;
    }
  }

  private async launch(node: RunningNode): Promise<void> {
    // A stop (Ctrl-C during start or a rolling restart) wins: nothing new is spawned after it.
    if (this.stopping) throw new Error('the cluster is stopping');
    const child = spawn(process.execPath, [join(DIST, 'scripts', 'start.js')], {
      cwd: CHECKOUT,
      env: this.env(node.spec, node.appPort, node.healthPort),
      stdio: ['ignore', 'pipe', 'pipe'],
      detached: true,
    });
    node.child = child;
    node.starts++;
    node.exited = new Promise((resolve) => child.once('exit', (code, sig) => resolve(code ?? sig ?? 'unknown')));
    const pipe = (stream: NodeJS.ReadableStream) => {
      let rest = '';
      stream.on('data', (chunk: Buffer) => {
        const lines = (rest + chunk.toString()).split('\n');
        rest = lines.pop() ?? '';
        for (const l of lines) this.line(node.spec.name, l);
      });
    };
    pipe(child.stdout!);
    pipe(child.stderr!);
    await this.waitForReady(node);
  }

  /** Polls the node's /readyz until 200; fails with its output if the process exits first. */
  async waitForReady(node: RunningNode): Promise<void> {
    let exited: number | string | null = null;
    void node.exited.then((code) => (exited = code));
    for (;;) {
      if (exited !== null) throw new Error(`${node.spec.name} exited (${exited}) before it was ready:\n${this.output(node.spec.name).split('\n').slice(-30).join('\n')}`);
      const res = await fetch(`http://127.0.0.1:${node.healthPort}/readyz`).catch(() => null);
      if (res?.status === 200) return;
      await sleep(100);
    }
  }

  private async startNginx(bin: string): Promise<void> {
    this.prefix = mkdtempSync(join(tmpdir(), 'cb-cluster-nginx-'));
    chmodSync(this.prefix, 0o755);
    for (const dir of ['client_body', 'proxy', 'fastcgi', 'uwsgi', 'scgi']) mkdirSync(join(this.prefix, dir));
    this.httpPort = this.opts.httpPort || (await freePort());
    const requestPorts = this.requestNodes().map((n) => n.appPort);
    const conf = join(this.prefix, 'nginx.conf');
    writeFileSync(
      conf,
      renderNginxConf({ prefix: this.prefix, listenPort: this.httpPort, upstreams: requestPorts, runAsRoot: process.getuid?.() === 0, source: this.opts.nginxConf }),
    );
    const test = spawnSync(bin, ['-t', '-q', '-p', this.prefix, '-c', conf], { encoding: 'utf8' });
    if (test.status !== 0) throw new ClusterPrerequisiteError(`nginx refused the generated configuration ${conf}:\n${test.stderr}`);
    if (this.stopping) throw new Error('the cluster is stopping');
    const child = spawn(bin, ['-p', this.prefix, '-c', conf], { stdio: ['ignore', 'pipe', 'pipe'], detached: true });
    const exited = new Promise<number | string>((resolve) => child.once('exit', (code, sig) => resolve(code ?? sig ?? 'unknown')));
    this.nginx = { child, exited };
    child.stderr!.on('data', (c: Buffer) => this.line('nginx', c.toString().trimEnd()));
    for (;;) {
      const res = await fetch(`${this.url}/api/__health_check`).catch(() => null);
      if (res?.status === 200) return;
      const code = await Promise.race([exited, sleep(100).then(() => null)]);
      if (code !== null) throw new Error(`nginx exited (${code}):\n${this.output('nginx')}\n${readFileSync(join(this.prefix, 'error.log'), 'utf8')}`);
    }
  }

  /** SIGTERM to the node's process group (as a container stop would), then the exit code. */
  async stopNode(node: RunningNode): Promise<number | string> {
    if (node.child && node.child.exitCode === null && node.child.signalCode === null) {
      try {
        process.kill(-node.child.pid!, 'SIGTERM');
      } catch {
        // already gone
      }
    }
    return node.exited;
  }

  /** Kills a node's process group with `signal` (SIGKILL: a crash, no drain) and waits for the exit. */
  async kill(node: RunningNode, signal: NodeJS.Signals = 'SIGKILL'): Promise<number | string> {
    try {
      process.kill(-node.child.pid!, signal);
    } catch {
      // already gone
    }
    return node.exited;
  }

  /** Starts a stopped node again on its ports and waits for /readyz 200. */
  restart(node: RunningNode): Promise<void> {
    return this.launch(node);
  }

  /** How long after a node is ready again before nginx surely sends it requests (fail_timeout + 0.5 s). */
  get settleMs(): number {
    return nginxFailTimeoutSec(this.opts.nginxConf) * 1000 + 500;
  }

  /**
   * Restarts every node, one at a time: SIGTERM (the node drains: readiness 503, the gateway closes
   * so nginx sends new requests to the other node, in-flight requests finish), wait for the exit, start
   * it again on the same ports, wait for /readyz 200, then let nginx's fail_timeout pass so nginx
   * takes the node back before the next one goes. Returns each node's exit code.
   */
  async rollingRestart(log: (m: string) => void = () => undefined): Promise<Array<{ node: string; exitCode: number | string }>> {
    const report: Array<{ node: string; exitCode: number | string }> = [];
    for (const node of this.nodes) {
      log(`${node.spec.name}: SIGTERM, draining…`);
      const exitCode = await this.stopNode(node);
      report.push({ node: node.spec.name, exitCode });
      log(`${node.spec.name}: exited (${exitCode}); starting again`);
      await this.launch(node);
      log(`${node.spec.name}: ready again (/readyz 200)`);
      await sleep(this.settleMs);
    }
    return report;
  }

  /** Stops nginx and every node (SIGTERM to each process group) and waits until all have exited; every call gets the same stop. */
  stop(): Promise<void> {
    this.stopped ??= this.stopAll();
    return this.stopped;
  }

  private async stopAll(): Promise<void> {
    this.stopping = true;
    if (this.nginx) {
      try {
        process.kill(-this.nginx.child.pid!, 'SIGQUIT');
      } catch {
        // already gone
      }
      await this.nginx.exited;
    }
    await Promise.all(this.nodes.filter((n) => n.child).map((n) => this.stopNode(n)));
    if (this.prefix) rmSync(this.prefix, { recursive: true, force: true });
    if (!this.opts.storagePath && this.storage) rmSync(this.storage, { recursive: true, force: true });
  }
}
