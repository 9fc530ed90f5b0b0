import { spawn, type ChildProcess } from 'node:child_process';
import { connect } from 'node:net';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** True once something accepts TCP connections on 127.0.0.1:`port`. */
export function listening(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host: '127.0.0.1', port });
    const done = (ok: boolean) => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(1000, () => done(false));
    socket.once('connect', () => done(true));
    socket.once('error', () => done(false));
  });
}

/** Polls until `port` accepts connections (or `exited` settles first, which throws with the output). */
export async function waitForPort(name: string, port: number, exited?: Promise<unknown>, output: () => string = () => ''): Promise<void> {
  let gone = false;
  void exited?.then(() => (gone = true));
  const giveUpAt = Date.now() + 120_000;
  while (!(await listening(port))) {
    if (gone) throw new Error(`${name} exited before listening on ${port}:\n${output().slice(-2000)}`);
    if (Date.now() > giveUpAt) throw new Error(`${name} did not listen on ${port} within 120 s:\n${output().slice(-2000)}`);
    await sleep(100);
  }
}

/**
 * One server binary we started ourselves, in the foreground (its own process group), so it is killed
 * and restarted through its own PID — never by name: other agents run the same binaries.
 */
export class ServerProcess {
  private child: ChildProcess | null = null;
  private exited: Promise<void> = Promise.resolve();
  private out = '';

  constructor(
    readonly name: string,
    readonly port: number,
    private readonly command: string,
    private readonly args: readonly string[],
    private readonly env: Record<string, string> = {},
  ) {}

  get pid(): number | null {
    return this.child?.pid ?? null;
  }

  output(): string {
    return this.out;
  }

  async start(): Promise<void> {
    const child = spawn(this.command, [...this.args], { env: { ...process.env, ...this.env }, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
    this.child = child;
    const keep = (chunk: Buffer) => {
      this.out = (this.out + chunk.toString()).slice(-20_000);
    };
    child.stdout!.on('data', keep);
    child.stderr!.on('data', keep);
    this.exited = new Promise((resolve) => child.once('exit', () => resolve()));
    await waitForPort(this.name, this.port, this.exited, () => this.out);
  }

  /** kill -9, then waits until the process is gone. */
  async kill(): Promise<void> {
    const child = this.child;
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    child.kill('SIGKILL');
    await this.exited;
  }

  async restart(): Promise<void> {
    await this.kill();
    await this.start();
  }

  /** SIGTERM and wait (SIGKILL after 10 s). */
  async stop(): Promise<void> {
    const child = this.child;
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
    await this.exited;
    clearTimeout(timer);
  }
}
