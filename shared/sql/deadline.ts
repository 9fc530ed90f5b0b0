import { cbError } from '../errors/index.js';
import { runSql, type SqlRunner } from './run-sql.js';

/**
 * A request's deadline: the epoch millisecond by which its work must have ended (committed or rolled
 * back). The action wrapper sets it a margin before the gateway's own timeout, so a client that gets a
 * 504 can rely on nothing having been committed: the work stops itself first.
 */
export type Deadline = number | undefined;

/** How long before the gateway's timeout a request's own deadline falls: 10% of it, 100 ms to 2 s. */
export function deadlineMargin(timeoutMs: number): number {
  return Math.min(2000, Math.max(100, Math.round(timeoutMs * 0.1)));
}

/** The deadline of a call with `timeoutMs` (0 or less: none) that started at `startedAt`. */
export function deadlineOf(timeoutMs: number | null | undefined, startedAt = Date.now()): Deadline {
  if (!timeoutMs || timeoutMs <= 0) return undefined;
  return startedAt + timeoutMs - deadlineMargin(timeoutMs);
}

export function deadlineError(): Error {
  return cbError('CB_ERR_REQUEST_TIMEOUT', 'The request did not finish in time; nothing was saved');
}

/** Throws the 504 once `deadline` has passed. */
export function assertBeforeDeadline(deadline: Deadline): void {
  if (deadline !== undefined && Date.now() >= deadline) throw deadlineError();
}

/**
 * Bounds the transaction `tx` is in by `deadline`: PostgreSQL cancels any statement (57014) and ends a
 * session idle inside the transaction (25P03) past the time left, so a lock wait or a stalled client
 * cannot make the work outlive its request. Transaction-local (`set_config(…, true)`): the pooled
 * connection gets its defaults back at the end.
 */
export async function limitTransaction(tx: SqlRunner, deadline: Deadline): Promise<void> {
  if (deadline === undefined) return;
  const left = deadline - Date.now();
  if (left <= 0) throw deadlineError();
  const ms = String(Math.max(1, Math.floor(left)));
  await runSql(tx, `select set_config('statement_timeout', ?, true), set_config('idle_in_transaction_session_timeout', ?, true)`, [ms, ms]);
}

/** PostgreSQL's "canceled by statement timeout" / "idle-in-transaction timeout" as the request's 504. */
export function isDeadlineError(err: unknown): boolean {
  const code = (err as { code?: unknown } | null)?.code;
  return code === '57014' || code === '25P03';
}
