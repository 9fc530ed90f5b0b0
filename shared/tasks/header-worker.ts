/**
 * Worker thread body for `checkHeaderIsolated`: one header check (xlsx bounds, then the header row)
 * under the heap limit the parent gives it; posts `{ok: true}` or `{ok: false, type, message}`.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { checkHeader } from './reader.js';
import type { HeaderJob } from './header-check.js';

const job = workerData as HeaderJob;
checkHeader(job.path, job.format, job.titles, job.limits).then(
  () => parentPort?.postMessage({ ok: true }),
  (err: Error & { type?: string }) => parentPort?.postMessage({ ok: false, type: err.type, message: err.message }),
);
