import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';

const ROOT = join(__dirname, '..', '..', '..');
const FIXTURE = join(__dirname, 'fixtures', 'lock-worker.js');

/** Fails loudly when the compiled library (or its Lua scripts) is missing from dist/. */
export function requireCompiledLock(): void {
  const index = join(ROOT, 'dist', 'shared', 'lock', 'index.js');
  if (!existsSync(index)) throw new Error(`${index} is missing: run \`npm run build\` before the multi-process lock tests`);
  const script = join(ROOT, 'dist', 'shared', 'lock', 'scripts', 'acquire.lua');
  if (!existsSync(script)) throw new Error(`${script} is missing: the build must copy shared/lock/scripts/*.lua into dist/shared/lock/scripts/`);
}

export type Reply = { id?: number; event: string; [field: string]: unknown };

/** One fixtures/lock-worker.js process: send it commands, wait for its JSON-line replies. */
export class LockWorker {
  readonly child: ChildProcessWithoutNullStreams;
  private readonly replies: Reply[] = [];
  private readonly listeners = new Set<() => void>();
  private nextId = 1;
  private stderr = '';

  constructor(env: { REDIS_URL: string; LOCK_PREFIX: string }) {
    this.child = spawn(process.execPath, [FIXTURE], { env: { ...process.env, ...env }, stdio: ['pipe', 'pipe', 'pipe'] });
    createInterface({ input: this.child.stdout }).on('line', (line) => {
      this.replies.push(JSON.parse(line) as Reply);
      this.listeners.forEach((notify) => notify());
    });
    this.child.stderr.on('data', (chunk: Buffer) => (this.stderr += chunk.toString()));
    this.child.on('exit', () => this.listeners.forEach((notify) => notify()));
  }

  get pid(): number {
    return this.child.pid as number;
  }

  /** Sends a command; returns its id, to wait for its replies with `next`. */
  send(command: Record<string, unknown>): number {
    const id = this.nextId++;
    this.child.stdin.write(`${JSON.stringify({ id, ...command })}\n`);
    return id;
  }

  /** The first not-yet-taken reply matching `id` (or any id when undefined) and `event`; an `error` reply fails it. */
  next(event: string, id?: number): Promise<Reply> {
    return new Promise((resolve, reject) => {
      const check = (): void => {
        const index = this.replies.findIndex((r) => (id === undefined || r.id === id) && (r.event === event || r.event === 'error'));
        if (index >= 0) {
          const [reply] = this.replies.splice(index, 1) as [Reply];
          this.listeners.delete(check);
          if (reply.event === 'error') reject(new Error(`worker ${this.pid}: ${String(reply.error)} ${String(reply.message)}`));
          else resolve(reply);
        } else if (this.child.exitCode !== null || this.child.signalCode !== null) {
          this.listeners.delete(check);
          reject(new Error(`worker ${this.pid} exited waiting for "${event}": ${this.stderr}`));
        }
      };
      this.listeners.add(check);
      check();
    });
  }

  /** Sends a command and waits for its reply `event`. */
  async call(command: Record<string, unknown>, event: string): Promise<Reply> {
    return this.next(event, this.send(command));
  }

  /** Kills the process (SIGCONT first, in case a test left it stopped). */
  kill(): void {
    if (this.child.exitCode !== null || this.child.signalCode !== null) return;
    try {
      process.kill(this.pid, 'SIGCONT');
    } catch {
      // Already gone.
    }
    this.child.kill('SIGKILL');
  }
}

/** Process state letter from /proc (R, S, T = stopped, …). */
export function processState(pid: number): string {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3);
}
