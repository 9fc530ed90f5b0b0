/**
 * Worker thread body for `ExpressionSandbox`: evaluates one expression per message with the restricted
 * engines and posts back `{id, ok, value}` or `{id, ok: false, message, data}`. Runs under the resource
 * limits the sandbox gives it; the sandbox terminates it when a call takes too long.
 */
import { parentPort } from 'node:worker_threads';
import { evaluate } from './engines.js';
import type { ExpressionEngine } from './types.js';

interface Job {
  id: number;
  engine: ExpressionEngine;
  expression: string;
}

// Build both engines before saying ready, so the sandbox's per-call timeout never pays for start-up.
evaluate('math.js', '1');
evaluate('formula.js', '1');
parentPort?.postMessage({ ready: true });

parentPort?.on('message', (job: Job) => {
  try {
    parentPort?.postMessage({ id: job.id, ok: true, value: evaluate(job.engine, job.expression) });
  } catch (error) {
    const { message, data } = error as { message: string; data?: unknown };
    parentPort?.postMessage({ id: job.id, ok: false, message, data });
  }
});
