import type { EntityManager } from '@mikro-orm/postgresql';
import { decodeRow, hasColumn, SYSTEM_COLLECTIONS, type CollectionMeta, type RecordRepository, type RecordValues } from '../data/index.js';
import { qualified, quoteIdent, runSql } from '../sql/index.js';
import type { Em } from './types.js';

/** The users collection as shared/data knows it (AppData fits): fields added to it are read and written here. */
export interface UsersData {
  readonly collections: { get(name: string): CollectionMeta | undefined };
  readonly records: Pick<RecordRepository, 'updateByPk'>;
}

const BUILT_IN = new Set([...(SYSTEM_COLLECTIONS.users ?? []), 'roles']);

/** The fields added to `users` (collections/users/fields:create), not the built-in ones. */
function added(data: UsersData | undefined): { meta: CollectionMeta; names: string[] } | null {
  const meta = data?.collections.get('users');
  if (!meta) return null;
  const names = [...meta.fields.keys()].filter((n) => !BUILT_IN.has(n));
  return names.length > 0 ? { meta, names } : null;
}

/** The readable added column fields of the users with `ids`, by id (decoded as any record). */
export async function addedValues(em: Em, data: UsersData | undefined, ids: readonly string[], aesKey?: Buffer): Promise<Map<string, RecordValues>> {
  const found = added(data);
  const columns = found ? found.names.filter((n) => hasColumn(found.meta.fields.get(n)!) && found.meta.fields.get(n)!.type !== 'password') : [];
  if (!found || columns.length === 0 || ids.length === 0) return new Map();
  const { rows } = await runSql(em as EntityManager, `select "id", ${columns.map(quoteIdent).join(', ')} from ${qualified(found.meta.schema, found.meta.table)} where "id" = any(?::bigint[])`, [`{${ids.join(',')}}`]);
  return new Map(rows.map((r) => [String((r as { id: unknown }).id), decodeRow(found.meta, r as Record<string, unknown>, { aesKey }, new Set(columns))]));
}

/** Work a records write hands over to run once the users action's transaction has committed (write hooks). */
export type AfterCommit = Array<() => Promise<void>>;

export async function afterCommit(after: AfterCommit): Promise<void> {
  for (const fn of after) await fn();
}

/**
 * Writes the added fields among `values` inside the users action's transaction `tx` (checked, encoded
 * and related as any record write); the write's after-commit work is queued on `after`.
 */
export async function writeAdded(tx: Em, data: UsersData | undefined, id: string, values: Record<string, unknown>, after: AfterCommit): Promise<void> {
  const found = added(data);
  if (!found) return;
  const picked = Object.fromEntries(Object.entries(values).filter(([k]) => found.names.includes(k)));
  if (Object.keys(picked).length > 0) await data!.records.updateByPk(tx as EntityManager, 'users', id, picked, { deferAfterCommit: (fn) => void after.push(fn) });
}
