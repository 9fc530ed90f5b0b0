/**
 * Failures of the infrastructure rather than of the workflow: a lost or refused database connection,
 * a session PostgreSQL ended, a serialization failure or deadlock. The step did not commit; the
 * execution is left to its lease, and another delivery (or the sweep) resumes it from its journal,
 * instead of recording an ERROR that a retry would not have produced.
 */
export function isTransient(err: unknown): boolean {
  const e = err as { code?: unknown; message?: unknown } | null;
  const code = typeof e?.code === 'string' ? e.code : '';
  if (/^08/.test(code) || ['57P01', '57P02', '57P03', '40001', '40P01', '25P03'].includes(code)) return true;
  if (['ECONNRESET', 'ECONNREFUSED', 'EPIPE', 'ETIMEDOUT'].includes(code)) return true;
  const message = typeof e?.message === 'string' ? e.message : '';
  return /Connection terminated|connection is closed|terminating connection|Client has encountered a connection error/i.test(message);
}
