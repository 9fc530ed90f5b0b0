import { forbiddenError } from '../auth/index.js';
import { cbError } from '../errors/index.js';
import type { Em, Params } from './types.js';
import { exec, table } from './users-sql.js';

/** The app's schema (system settings are per app). */
export interface SettingsApp {
  readonly schema: string;
}

const iso = (c: string) => `to_char("${c}" at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') as "${c}"`;
const COLUMNS = `"id", "title", "showLogoOnly", "allowSignUp", "smsAuthEnabled", "logoId", "enabledLanguages", "appLang", "options", "roleMode", ${iso('createdAt')}, ${iso('updatedAt')}`;

/** Writable settings and how each is checked; JSON ones are stored as jsonb. */
const WRITABLE: Readonly<Record<string, (v: unknown) => boolean>> = {
  title: (v) => v === null || (typeof v === 'string' && v.length <= 255),
  showLogoOnly: (v) => v === null || typeof v === 'boolean',
  allowSignUp: (v) => typeof v === 'boolean',
  smsAuthEnabled: (v) => typeof v === 'boolean',
  enabledLanguages: (v) => Array.isArray(v) && v.length > 0 && v.length <= 100 && v.every((l) => typeof l === 'string' && /^[A-Za-z]{2,8}(-[A-Za-z0-9]{1,8})*$/.test(l)),
  appLang: (v) => typeof v === 'string' && /^[A-Za-z]{2,8}(-[A-Za-z0-9]{1,8})*$/.test(v),
  options: (v) => typeof v === 'object' && v !== null && !Array.isArray(v),
  logoId: (v) => v === null || (typeof v === 'number' && Number.isSafeInteger(v)) || (typeof v === 'string' && /^\d{1,19}$/.test(v)),
  roleMode: (v) => v === 'default' || v === 'allow-use-union' || v === 'only-use-union',
};
const JSON_COLUMNS = new Set(['enabledLanguages', 'options']);

type Row = Record<string, unknown> & { title: string | null; enabledLanguages: string[]; appLang: string; roleMode: string };

const ATTACHMENT_COLUMNS = '"id", "title", "filename", "extname", "size", "mimetype", "path", "url", "storageId"';

/**
 * The settings row (id 1), as NocoBase answers it: `raw_title` beside `title`, `logo` the attachment
 * `logoId` names (NocoBase's belongsTo to attachments), or null.
 */
export async function readSettings(em: Em, schema: string): Promise<Row> {
  const rows = (await exec(em, `select ${COLUMNS} from ${table(schema, 'systemSettings')} where "id" = 1`)) as Row[];
  const fallback: Row = { id: '1', title: null, enabledLanguages: ['en-US'], appLang: 'en-US', roleMode: 'default', options: {} };
  const row = rows[0] ?? fallback;
  const logoId = row.logoId === null || row.logoId === undefined ? null : Number(row.logoId);
  const [logo] = logoId === null ? [] : ((await exec(em, `select ${ATTACHMENT_COLUMNS} from ${table(schema, 'attachments')} where "id" = ?`, [String(logoId)])) as Array<Record<string, unknown>>);
  return { ...row, id: Number(row.id), logoId, raw_title: row.title, logo: logo ? { ...logo, id: Number(logo.id), storageId: logo.storageId === null ? null : Number(logo.storageId) } : null };
}

/** systemSettings:get — public, as NocoBase (the sign-in page reads the title and languages). */
export async function getSystemSettings(app: SettingsApp, _caller: unknown, em: Em) {
  return { data: await readSettings(em, app.schema) };
}

/**
 * systemSettings:put (NocoBase's name) and :update — root and admin (NocoBase: the
 * `pm.system-settings` snippet). `values.raw_title` is the title, as the client sends it; unknown keys
 * are ignored, a wrong type is a 400 naming the setting.
 */
export async function updateSystemSettings(app: SettingsApp, caller: { readonly current: readonly string[] }, em: Em, params: Params) {
  if (!caller.current.includes('root') && !caller.current.includes('admin')) throw forbiddenError();
  const raw = params.values;
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) throw cbError('CB_ERR_VALIDATION', 'values must be an object');
  const values: Record<string, unknown> = { ...(raw as Record<string, unknown>) };
  if ('raw_title' in values) values.title = values.raw_title;
  // `logo` as the client sends it (the attachment record, or null) sets `logoId`.
  if ('logo' in values) values.logoId = values.logo === null ? null : (values.logo as { id?: unknown } | undefined)?.id;
  const sets: string[] = [];
  const args: unknown[] = [];
  for (const [key, check] of Object.entries(WRITABLE)) {
    if (!(key in values)) continue;
    if (!check(values[key])) throw cbError('CB_ERR_VALIDATION', `systemSettings.${key} has a wrong value`, { field: key });
    sets.push(`"${key}" = ?${JSON_COLUMNS.has(key) ? '::jsonb' : ''}`);
    args.push(JSON_COLUMNS.has(key) ? JSON.stringify(values[key]) : values[key]);
  }
  if (sets.length > 0) await exec(em, `update ${table(app.schema, 'systemSettings')} set ${sets.join(', ')}, "updatedAt" = now() where "id" = 1`, args);
  return { data: await readSettings(em, app.schema) };
}

/**
 * app:getLang — the app's language as NocoBase's client asks for it: the first enabled language, or
 * `?locale=` when that one is enabled; with its (empty: no server-side translations here) resources.
 */
export async function getLang(app: SettingsApp, _caller: unknown, em: Em, params: Params) {
  const settings = await readSettings(em, app.schema);
  const enabled = Array.isArray(settings.enabledLanguages) ? settings.enabledLanguages : [];
  let lang = enabled[0] ?? settings.appLang ?? 'en-US';
  if (typeof params.locale === 'string' && enabled.includes(params.locale)) lang = params.locale;
  return { data: { lang, resources: {}, antd: {}, cronstrue: {}, cron: {} } };
}

/**
 * app:getPlugins — what this app runs, as plugin records: clusterbase's services in the cluster
 * (NocoBase lists its loaded plugins; here every capability is a Moleculer service).
 */
export function servicePlugins(serviceNames: readonly string[], version: string) {
  const names = [...new Set(serviceNames.filter((n) => !n.startsWith('$')))].sort();
  return { data: names.map((name) => ({ name, packageName: `clusterbase/services/${name}`, version, enabled: true, installed: true, builtIn: true })) };
}
