import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import { cbError, isErrorCode } from '../errors/index.js';
import type { XlsxLimits } from './types.js';

export interface HeaderJob {
  readonly path: string;
  readonly format: 'xlsx' | 'csv';
  readonly titles: readonly string[];
  readonly limits: XlsxLimits;
}

export interface IsolationLimits {
  /** IMPORT_CHECK_MAX_HEAP, in MB. */
  readonly maxHeapMb: number;
  readonly timeoutMs: number;
}

/** The compiled worker next to this file (dist), or the TypeScript source run through tsx (tests, tsx). */
function workerEntry(): { file: string; execArgv: string[] } {
  const compiled = join(__dirname, 'header-worker.js');
  if (existsSync(compiled)) return { file: compiled, execArgv: [] };
  return { file: join(__dirname, 'header-worker.ts'), execArgv: ['--import', 'tsx'] };
}

interface Reply {
  ok: boolean;
  type?: string;
  message?: string;
}

/**
 * checkHeader in a worker thread with its own heap limit: a spreadsheet that passes the zip bounds but
 * still needs more memory to parse (or more than `timeoutMs`) is a 400 naming IMPORT_CHECK_MAX_HEAP,
 * and the request's process never holds it.
 */
export function checkHeaderIsolated(job: HeaderJob, limits: IsolationLimits): Promise<void> {
  const { file, execArgv } = workerEntry();
  const worker = new Worker(file, {
    execArgv,
    workerData: job,
    resourceLimits: { maxOldGenerationSizeMb: limits.maxHeapMb, maxYoungGenerationSizeMb: Math.max(4, Math.floor(limits.maxHeapMb / 8)), stackSizeMb: 4 },
  });
  return new Promise<void>((resolve, reject) => {
    let settled = false;
    const done = (err?: Error) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      void worker.terminate();
      if (err) reject(err);
      else resolve();
    };
    const timer = setTimeout(() => done(cbError('CB_ERR_TASK_FILE_LIMIT', `Reading the file's header took longer than ${limits.timeoutMs} ms`)), limits.timeoutMs);
    worker.on('message', (reply: Reply) => {
      if (reply.ok) return done();
      done(isErrorCode(reply.type) ? cbError(reply.type, reply.message) : new Error(`the header check failed: ${reply.message ?? 'unknown error'}`));
    });
    worker.on('error', (err: Error & { code?: string }) => {
      if (err.code === 'ERR_WORKER_OUT_OF_MEMORY') done(cbError('CB_ERR_TASK_FILE_LIMIT', `The spreadsheet needs more memory to read than IMPORT_CHECK_MAX_HEAP (${limits.maxHeapMb} MB)`));
      else done(err);
    });
    worker.on('exit', (code) => done(new Error(`the header check worker exited (${code})`)));
  });
}
