import { createHash } from 'node:crypto';

/**
 * A constraint or index name (PostgreSQL keeps 63 bytes): `<table>_<column>_<suffix>`, or, when that
 * is too long, a shortened form ending in a hash of the full name so two long names never collide.
 */
export function objectName(table: string, column: string, suffix: string): string {
  const full = `${table}_${column}_${suffix}`;
  if (Buffer.byteLength(full) <= 63) return full;
  const hash = createHash('sha256').update(full).digest('hex').slice(0, 10);
  return `${full.slice(0, 63 - hash.length - suffix.length - 2)}_${hash}_${suffix}`;
}

/** What a pg error carries that we map to API errors. */
export interface PgError {
  readonly code?: string;
  readonly message: string;
  readonly detail?: string;
  readonly column?: string;
  readonly constraint?: string;
  readonly table?: string;
}

export function isPgError(err: unknown): err is PgError {
  return typeof err === 'object' && err !== null && typeof (err as PgError).code === 'string' && /^[0-9A-Z]{5}$/.test((err as PgError).code!);
}
