import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import { cbError } from '../../errors/index.js';
import type { ExpressionEngine } from './types.js';

export interface ExpressionSandboxOptions {
  /** Longest one evaluation may run before the worker is terminated (default 2000 ms). */
  timeoutMs?: number;
  /** Heap limit of the worker (default 256 MB; the engines alone take about 60): an expression that builds more fails, the process lives. */
  maxHeapMb?: number;
}

interface Pending {
  id: number;
  engine: ExpressionEngine;
  expression: string;
  resolve(value: unknown): void;
  reject(error: unknown): void;
}

interface Reply {
  ready?: boolean;
  id: number;
  ok: boolean;
  value?: unknown;
  message?: string;
  data?: unknown;
}

/** The compiled worker next to this file (dist), or the TypeScript source run through tsx (tests, tsx). */
function workerEntry(): { file: string; execArgv: string[] } {
  const compiled = join(__dirname, 'expression-worker.js');
  if (existsSync(compiled)) return { file: compiled, execArgv: [] };
  return { file: join(__dirname, 'expression-worker.ts'), execArgv: ['--import', 'tsx'] };
}

/**
 * Evaluates expressions in a worker thread, so the few operations the parsers cannot bound by
 * themselves (matrix broadcasting, `combinations(1e9, 5e8)`, `setPowerset(1:30)`) cost at most
 * `timeoutMs` of one thread and `maxHeapMb` of memory, and never stall or crash the node. Calls run one
 * at a time; a timed-out or out-of-memory worker is replaced and the next call goes on.
 */
export class ExpressionSandbox {
  private worker: Worker | undefined;
  /** True once the current worker has loaded the engines; calls are only timed from then on. */
  private ready = false;
  private startTimer: NodeJS.Timeout | undefined;
  private readonly queue: Pending[] = [];
  private current: { job: Pending; timer: NodeJS.Timeout } | undefined;
  private nextId = 1;
  private closed = false;
  private readonly timeoutMs: number;
  private readonly maxHeapMb: number;

  constructor(options: ExpressionSandboxOptions = {}) {
    this.timeoutMs = options.timeoutMs ?? 2000;
    this.maxHeapMb = options.maxHeapMb ?? 256;
  }

  evaluate(engine: ExpressionEngine, expression: string): Promise<unknown> {
    if (this.closed) return Promise.reject(cbError('CB_ERR_WORKFLOW_EXPRESSION', 'The expression sandbox is closed'));
    return new Promise((resolve, reject) => {
      this.queue.push({ id: this.nextId++, engine, expression, resolve, reject });
      this.pump();
    });
  }

  /** Stops the worker; pending calls are rejected. */
  async close(): Promise<void> {
    this.closed = true;
    for (const job of this.queue.splice(0)) job.reject(cbError('CB_ERR_WORKFLOW_EXPRESSION', 'The expression sandbox is closed'));
    if (this.current) this.finish(undefined, cbError('CB_ERR_WORKFLOW_EXPRESSION', 'The expression sandbox is closed'));
    clearTimeout(this.startTimer);
    const worker = this.worker;
    this.worker = undefined;
    await worker?.terminate();
  }

  private spawn(): Worker {
    const { file, execArgv } = workerEntry();
    const worker = new Worker(file, {
      execArgv,
      resourceLimits: { maxOldGenerationSizeMb: this.maxHeapMb, maxYoungGenerationSizeMb: Math.max(4, this.maxHeapMb / 4), stackSizeMb: 4 },
    });
    this.ready = false;
    // Loading the engines takes about a second (longer under tsx); a worker that never gets there is broken.
    this.startTimer = setTimeout(() => worker.emit('error', new Error('the expression worker did not start')), 60_000);
    this.startTimer.unref();
    worker.on('message', (reply: Reply) => {
      if (reply.ready) {
        clearTimeout(this.startTimer);
        if (this.worker === worker) this.ready = true;
        this.pump();
        return;
      }
      if (this.current?.job.id !== reply.id) return;
      if (reply.ok) this.finish(reply.value);
      else this.finish(undefined, cbError('CB_ERR_WORKFLOW_EXPRESSION', reply.message, reply.data));
    });
    const lost = (reason: string) => {
      if (this.worker !== worker) return;
      clearTimeout(this.startTimer);
      const wasReady = this.ready;
      this.worker = undefined;
      this.ready = false;
      void worker.terminate();
      const error = cbError('CB_ERR_WORKFLOW_EXPRESSION', `The expression was stopped: ${reason}`, { engine: this.current?.job.engine });
      // A worker that cannot start would fail every call the same way: fail the waiting calls, not loop.
      if (!wasReady) for (const job of this.queue.splice(0)) job.reject(error);
      else this.finish(undefined, error);
    };
    worker.on('error', (error: Error & { code?: string }) => {
      lost(error.code === 'ERR_WORKER_OUT_OF_MEMORY' ? `it needed more than ${this.maxHeapMb} MB` : error.message);
    });
    worker.on('exit', (code) => lost(`the worker exited (${code})`));
    return worker;
  }

  private pump(): void {
    if (this.current || this.closed || this.queue.length === 0) return this.holdProcess();
    this.worker ??= this.spawn();
    this.holdProcess();
    if (!this.ready) return;
    const worker = this.worker;
    const job = this.queue.shift() as Pending;
    const timer = setTimeout(() => {
      this.worker = undefined;
      this.ready = false;
      void worker.terminate();
      this.finish(undefined, cbError('CB_ERR_WORKFLOW_EXPRESSION', `The expression took longer than ${this.timeoutMs} ms`, { engine: job.engine }));
    }, this.timeoutMs);
    this.current = { job, timer };
    worker.postMessage({ id: job.id, engine: job.engine, expression: job.expression });
  }

  /**
   * The worker keeps the process alive only while a call waits for it: an idle one must not hold a
   * stopped node (or a test run) open. Set after every change; note that adding a 'message' listener
   * refs the worker's port again, so spawn() alone would leave it ref'd.
   */
  private holdProcess(): void {
    if (this.current || this.queue.length > 0) this.worker?.ref();
    else this.worker?.unref();
  }

  private finish(value: unknown, error?: unknown): void {
    const current = this.current;
    if (!current) return;
    clearTimeout(current.timer);
    this.current = undefined;
    if (error) current.job.reject(error);
    else current.job.resolve(value);
    this.pump();
  }
}
