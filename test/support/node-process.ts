import { spawn, type ChildProcess } from 'node:child_process';
import { chmodSync, existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from '../../shared/db/free-port';

export const ROOT = join(__dirname, '..', '..');
export const DIST = join(ROOT, 'dist');

/** Multi-process tests run the compiled code; `npm test` builds it first (pretest). */
export function requireBuild(): void {
  if (!existsSync(join(DIST, 'scripts', 'start.js'))) {
    throw new Error('dist/ is missing: run `npm run build` (npm test does it in pretest)');
  }
}

export interface NodeProcess {
  readonly child: ChildProcess;
  readonly appPort: number;
  readonly healthPort: number;
  /** Everything the process printed so far (stdout and stderr). */
  output(): string;
  /** Resolves with the exit code (or the signal name). */
  readonly exited: Promise<number | string>;
  /** Waits until a line matching `pattern` appears in the output. */
  waitForOutput(pattern: RegExp): Promise<void>;
  /** Polls /readyz until it answers `status` (200 by default). */
  waitForReady(status?: number): Promise<void>;
  /** SIGKILL/SIGSTOP/SIGCONT hit the main process only; other signals its whole process group. */
  signal(sig: NodeJS.Signals): void;
  /** Resolves once no process of its group is left (npm start's children, the embedded PostgreSQL). */
  groupExited(): Promise<void>;
  /** SIGTERM to the process group and wait for the exit. */
  stop(): Promise<number | string>;
}

export interface SpawnOptions {
  /** Extra environment; the launcher gets a minimal env plus these. */
  readonly env?: Record<string, string>;
  /** Command and args; defaults to the compiled `npm start` (node dist/scripts/start.js). */
  readonly command?: readonly string[];
  readonly appPort?: number;
  readonly healthPort?: number;
}

const live = new Set<ChildProcess>();
process.on('exit', () => {
  for (const child of live) {
    try {
      process.kill(-child.pid!, 'SIGKILL');
    } catch {
      // already gone
    }
  }
});

/** A fresh storage folder under /tmp (reachable by the postgres user that embedded PostgreSQL runs as). */
export function tempStorage(): string {
  const dir = mkdtempSync(join(tmpdir(), 'cb-test-'));
  chmodSync(dir, 0o755);
  return dir;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export async function spawnNode(opts: SpawnOptions = {}): Promise<NodeProcess> {
  requireBuild();
  const appPort = opts.appPort ?? (await freePort());
  const healthPort = opts.healthPort ?? (await freePort());
  const command = opts.command ?? [process.execPath, join(DIST, 'scripts', 'start.js')];
  const env: Record<string, string> = {
    PATH: process.env.PATH ?? '',
    HOME: process.env.HOME ?? '/tmp',
    APP_PORT: String(appPort),
    HEALTH_PORT: String(healthPort),
    APP_HOST: '127.0.0.1',
    LOG_LEVEL: 'info',
    ...opts.env,
  };
  // Its own process group, like a shell job: SIGTERM/SIGINT go to the group (as Ctrl-C or a container
  // stop would), so `npm start`'s chain of processes gets them too.
  const child = spawn(command[0]!, command.slice(1), { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
  live.add(child);
  let out = '';
  const waiters: Array<{ pattern: RegExp; resolve: () => void }> = [];
  const onData = (chunk: Buffer) => {
    out += chunk.toString();
    for (const w of [...waiters]) {
      if (w.pattern.test(out)) {
        waiters.splice(waiters.indexOf(w), 1);
        w.resolve();
      }
    }
  };
  child.stdout!.on('data', onData);
  child.stderr!.on('data', onData);
  const exited = new Promise<number | string>((resolve) => {
    child.once('exit', (code, sig) => {
      live.delete(child);
      resolve(code ?? sig ?? 'unknown');
    });
  });

  const handle: NodeProcess = {
    child,
    appPort,
    healthPort,
    output: () => out,
    exited,
    waitForOutput(pattern) {
      if (pattern.test(out)) return Promise.resolve();
      return new Promise<void>((resolve, reject) => {
        waiters.push({ pattern, resolve });
        void exited.then((code) => reject(new Error(`process exited (${code}) before printing ${pattern}:\n${out}`)));
      });
    },
    async waitForReady(status = 200) {
      let exitedWith: number | string | null = null;
      void exited.then((code) => (exitedWith = code));
      for (;;) {
        if (exitedWith !== null) throw new Error(`process exited (${exitedWith}) before /readyz answered ${status}:\n${out}`);
        const res = await fetch(`http://127.0.0.1:${healthPort}/readyz`).catch(() => null);
        if (res?.status === status) return;
        await sleep(100);
      }
    },
    async groupExited() {
      const { execFileSync } = await import('node:child_process');
      for (;;) {
        const groups = execFileSync('ps', ['-e', '-o', 'pgid='], { encoding: 'utf8' }).split('\n').map((l) => Number(l.trim()));
        if (!groups.includes(child.pid!)) return;
        await sleep(100);
      }
    },
    signal(sig) {
      if (sig === 'SIGKILL' || sig === 'SIGSTOP' || sig === 'SIGCONT') child.kill(sig);
      else process.kill(-child.pid!, sig);
    },
    async stop() {
      if (child.exitCode === null && child.signalCode === null) process.kill(-child.pid!, 'SIGTERM');
      return exited;
    },
  };
  return handle;
}
