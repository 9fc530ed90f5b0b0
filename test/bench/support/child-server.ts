import { spawn, type ChildProcess } from 'node:child_process';

export interface ChildServerOptions {
  /** Shown in messages. */
  readonly name: string;
  /** Script run with this process's Node (`process.execPath`), and its arguments. */
  readonly args: readonly string[];
  /** Program to run instead of this process's Node (e.g. NocoBase's `yarn`). */
  readonly command?: string;
  /**
   * Runs the child in a process group of its own and signals the whole group on stop (for launchers
   * such as `yarn start` that start the server as a grandchild).
   */
  readonly group?: boolean;
  readonly cwd: string;
  /** The whole environment of the child (nothing is inherited, so the shell's variables cannot leak in). */
  readonly env: Record<string, string>;
  /** Polled until it answers 200. */
  readonly readyUrl: string;
  readonly readyTimeoutMs?: number;
  /** Time SIGTERM gets before SIGKILL on stop. */
  readonly stopTimeoutMs?: number;
}

export interface ChildServer {
  readonly name: string;
  /** The child's process id (for a group: the launcher's). */
  readonly pid: number;
  /** Everything the child printed (stdout and stderr). */
  output(): string;
  /** SIGTERM, then SIGKILL after stopTimeoutMs; resolves once the child has exited. Safe to call twice. */
  stop(): Promise<void>;
}

const live = new Set<{ child: ChildProcess; group: boolean }>();

function signal(entry: { child: ChildProcess; group: boolean }, sig: NodeJS.Signals): void {
  try {
    if (entry.group) process.kill(-entry.child.pid!, sig);
    else entry.child.kill(sig);
  } catch {
    // already gone
  }
}

// A runner that crashes or exits early must not leave servers behind.
process.on('exit', () => {
  for (const entry of live) signal(entry, 'SIGKILL');
});

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** Starts a server as a child process and resolves once `readyUrl` answers 200; rejects with its output if it exits or times out first. */
export async function startChildServer(opts: ChildServerOptions): Promise<ChildServer> {
  const child = spawn(opts.command ?? process.execPath, [...opts.args], {
    cwd: opts.cwd,
    env: opts.env,
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: opts.group === true,
  });
  const entry = { child, group: opts.group === true };
  live.add(entry);
  let out = '';
  child.stdout!.on('data', (chunk: Buffer) => (out += chunk.toString()));
  child.stderr!.on('data', (chunk: Buffer) => (out += chunk.toString()));
  let exitedWith: string | null = null;
  const exited = new Promise<void>((resolve) => {
    child.once('exit', (code, sig) => {
      live.delete(entry);
      exitedWith = String(code ?? sig);
      resolve();
    });
  });

  const server: ChildServer = {
    name: opts.name,
    pid: child.pid!,
    output: () => out,
    async stop() {
      if (exitedWith !== null) return;
      signal(entry, 'SIGTERM');
      const timer = setTimeout(() => signal(entry, 'SIGKILL'), opts.stopTimeoutMs ?? 5000);
      await exited;
      clearTimeout(timer);
    },
  };

  const deadline = Date.now() + (opts.readyTimeoutMs ?? 60_000);
  for (;;) {
    if (exitedWith !== null) throw new Error(`${opts.name} exited (${exitedWith}) before ${opts.readyUrl} answered 200:\n${out}`);
    if (Date.now() > deadline) {
      await server.stop();
      throw new Error(`${opts.name}: ${opts.readyUrl} did not answer 200 within ${opts.readyTimeoutMs ?? 60_000} ms:\n${out}`);
    }
    const res = await fetch(opts.readyUrl, { signal: AbortSignal.timeout(2000) }).catch(() => null);
    await res?.body?.cancel();
    if (res?.status === 200) return server;
    await sleep(100);
  }
}
