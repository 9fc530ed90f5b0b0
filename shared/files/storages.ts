import { forbiddenError } from '../auth/index.js';
import { cbError } from '../errors/index.js';
import { runSql, type SqlRunner } from '../sql/index.js';
import { checkStorageOptions } from './adapters.js';
import type { StorageRecord } from './types.js';

const iso = (c: string) => `to_char("${c}" at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') as "${c}"`;
const COLUMNS = `"id", "title", "name", "type", "options", "rules", "path", "baseUrl", "default", "paranoid", "renameMode", ${iso('createdAt')}, ${iso('updatedAt')}`;
const table = (schema: string) => `"${schema.replace(/"/g, '""')}"."storages"`;
/** Options never answered (a storage's credentials). */
const SECRET_OPTIONS = ['secretAccessKey', 'accessKeySecret', 'secretKey'];
/** NocoBase's default size limit of a storage. */
export const DEFAULT_SIZE_LIMIT = 20 * 1024 * 1024;

type Row = Omit<StorageRecord, 'id'> & { id: string };

const toRecord = (r: Row): StorageRecord => ({ ...r, id: Number(r.id), rules: r.rules ?? {}, options: r.options ?? {} });

/** A storage as clients see it: credentials left out. */
export function storageJson(s: StorageRecord): Record<string, unknown> {
  return { ...s, options: Object.fromEntries(Object.entries(s.options).filter(([k]) => !SECRET_OPTIONS.includes(k))) };
}

/** The storage named `name` (a field's `storage` option), or the default one. A missing one is a 400. */
export async function findStorage(em: SqlRunner, schema: string, by: { name?: unknown; id?: unknown }): Promise<StorageRecord> {
  const [where, args] =
    by.id !== undefined && by.id !== null ? ['"id" = ?', [String(by.id)]] : typeof by.name === 'string' && by.name !== '' ? ['"name" = ?', [by.name]] : ['"default"', []];
  const { rows } = await runSql<Row>(em, `select ${COLUMNS} from ${table(schema)} where ${where} order by "id" limit 1`, args);
  if (!rows[0]) throw cbError('CB_ERR_VALIDATION', by.name || by.id ? `Storage "${String(by.name ?? by.id).slice(0, 64)}" not found` : 'No default storage is configured');
  return toRecord(rows[0]);
}

function assertManager(caller: { readonly current: readonly string[] }): void {
  if (!caller.current.includes('root') && !caller.current.includes('admin')) throw forbiddenError();
}

function obj(v: unknown, what: string): Record<string, unknown> {
  if (v === undefined) return {};
  if (typeof v !== 'object' || v === null || Array.isArray(v)) throw cbError('CB_ERR_VALIDATION', `${what} must be an object`);
  return v as Record<string, unknown>;
}

const NAME = /^[A-Za-z0-9_-]{1,255}$/;

/** The storage row's writable columns from a request's values (types checked). */
function columns(v: Record<string, unknown>, before?: StorageRecord): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  if ('title' in v) out.title = v.title === null ? null : String(v.title).slice(0, 255);
  if ('name' in v) {
    if (typeof v.name !== 'string' || !NAME.test(v.name)) throw cbError('CB_ERR_VALIDATION', 'name must be 1-255 letters, digits, _ or -');
    out.name = v.name;
  }
  if ('type' in v) out.type = v.type;
  // Credentials left out of an update keep their stored value (clients never see them).
  if ('options' in v) out.options = { ...Object.fromEntries(Object.entries(before?.options ?? {}).filter(([k]) => SECRET_OPTIONS.includes(k))), ...obj(v.options, 'options') };
  if ('rules' in v) {
    const rules = obj(v.rules, 'rules');
    if (rules.size !== undefined && (typeof rules.size !== 'number' || !Number.isInteger(rules.size) || rules.size < 1)) throw cbError('CB_ERR_VALIDATION', 'rules.size must be a positive number of bytes');
    if (rules.mimetype !== undefined && typeof rules.mimetype !== 'string') throw cbError('CB_ERR_VALIDATION', 'rules.mimetype must be a string such as "image/*,application/pdf"');
    out.rules = rules;
  }
  if ('path' in v) {
    if (typeof v.path !== 'string' || v.path.split('/').some((p) => p === '..') || v.path.startsWith('/')) throw cbError('CB_ERR_VALIDATION', 'path must be a relative folder');
    out.path = v.path.replace(/\/+$/, '');
  }
  if ('baseUrl' in v) out.baseUrl = typeof v.baseUrl === 'string' ? v.baseUrl.replace(/\/+$/, '') : '';
  for (const flag of ['default', 'paranoid'] as const) if (flag in v) out[flag] = v[flag] === true;
  const type = out.type ?? before?.type;
  checkStorageOptions(type, (out.options ?? before?.options ?? {}) as Record<string, unknown>);
  return out;
}

async function write(em: SqlRunner, schema: string, id: string, cols: Record<string, unknown>, insert: boolean): Promise<void> {
  const names = Object.keys(cols);
  const bind = (n: string) => (n === 'options' || n === 'rules' ? '?::jsonb' : '?');
  const values = names.map((n) => (n === 'options' || n === 'rules' ? JSON.stringify(cols[n]) : cols[n]));
  if (cols.default === true) await runSql(em, `update ${table(schema)} set "default" = false where "id" <> ?`, [id]);
  if (insert) await runSql(em, `insert into ${table(schema)} ("id", ${names.map((n) => `"${n}"`).join(', ')}) values (?, ${names.map(bind).join(', ')})`, [id, ...values]);
  else if (names.length > 0) await runSql(em, `update ${table(schema)} set ${names.map((n) => `"${n}" = ${bind(n)}`).join(', ')}, "updatedAt" = now() where "id" = ?`, [...values, id]);
}

interface StoragesApp {
  readonly schema: string;
  readonly ids: { next(): number };
}
type Caller = { readonly current: readonly string[] };
type Params = Record<string, unknown>;

/** storages:list|get|create|update|destroy — root and admin (NocoBase: the file manager's settings). */
export async function storagesAction(app: StoragesApp, caller: Caller, em: SqlRunner, params: Params, action: 'list' | 'get' | 'create' | 'update' | 'destroy') {
  assertManager(caller);
  if (action === 'list') {
    const { rows } = await runSql<Row>(em, `select ${COLUMNS} from ${table(app.schema)} order by "id"`);
    return { data: rows.map((r) => storageJson(toRecord(r))), meta: { count: rows.length, page: 1, pageSize: rows.length, totalPage: 1 } };
  }
  if (action === 'create') {
    const v = obj(params.values, 'values');
    if (typeof v.name !== 'string') throw cbError('CB_ERR_VALIDATION', 'A storage needs a name');
    const cols = columns({ type: 'local', ...v });
    const id = String(app.ids.next());
    await unique(() => write(em, app.schema, id, cols, true));
    return { data: storageJson(await findStorage(em, app.schema, { id })) };
  }
  const before = await findStorage(em, app.schema, { id: key(params) });
  if (action === 'get') return { data: storageJson(before) };
  if (action === 'update') {
    await unique(() => write(em, app.schema, String(before.id), columns(obj(params.values, 'values'), before), false));
    return { data: [storageJson(await findStorage(em, app.schema, { id: before.id }))] };
  }
  const used = await runSql<{ n: string }>(em, `select count(*) as n from "${app.schema.replace(/"/g, '""')}"."attachments" where "storageId" = ?`, [String(before.id)]);
  if (Number(used.rows[0]!.n) > 0) throw cbError('CB_ERR_VALIDATION', `Storage "${before.name}" still holds attachments`);
  await runSql(em, `delete from ${table(app.schema)} where "id" = ?`, [String(before.id)]);
  return { data: 1 };
}

function key(params: Params): string {
  const k = String(params.filterByTk ?? '');
  if (!/^\d{1,19}$/.test(k)) throw cbError('CB_ERR_VALIDATION', 'filterByTk (the storage id) is required');
  return k;
}

async function unique<T>(run: () => Promise<T>): Promise<T> {
  try {
    return await run();
  } catch (err) {
    if ((err as { code?: string }).code === '23505' || /duplicate key/.test((err as Error).message)) throw cbError('CB_ERR_VALIDATION', 'A storage with this name already exists');
    throw err;
  }
}
