import { decodeForRead, type FieldMeta } from '../data/index.js';

/**
 * Values between records and file cells. Out (export): typed cells — booleans as booleans, dates
 * and date-times as dates, numbers as numbers (int8 beyond 2^53 and decimals as exact text).
 * In (import): a cell as the JSON value the field's codec accepts; the codec then checks it.
 */

/** A raw column value (as read through runSql) as an xlsx cell value. */
export function xlsxCell(field: FieldMeta, raw: unknown, aesKey?: Buffer): unknown {
  const value = decodeForRead(field, raw, aesKey ? { aesKey } : {});
  if (value === null || value === undefined) return null;
  switch (field.type) {
    case 'date':
    case 'datetime':
    case 'datetimeTz':
      return typeof value === 'string' ? new Date(value) : value;
    case 'dateOnly':
      return typeof value === 'string' ? new Date(`${value}T00:00:00.000Z`) : value;
    case 'json':
      return JSON.stringify(value);
    case 'float':
    case 'double':
    case 'integer':
      return typeof value === 'string' ? Number(value) : value;
    default:
      return value;
  }
}

/** Field types whose values are free text a user typed (an export may carry anybody's text). */
const TEXT_TYPES = new Set<FieldMeta['type']>(['string', 'text', 'encrypted']);
/** What the export prefixes: formula starts, and a real leading `'` (so an import, dropping one, keeps it). */
const NEEDS_PREFIX = /^[=+\-@\t\r']/;

/**
 * CSV injection: a spreadsheet opening a CSV runs a cell starting with `=`, `+`, `-`, `@`, tab or CR
 * as a formula (`=HYPERLINK(...)`, DDE). Such text cells get a leading `'` (OWASP's advice), which
 * spreadsheets show as text; imports drop it again (cellToValue). Text that really starts with `'`
 * gets one more, so the import's drop gives it back unchanged. xlsx cells are typed strings and need
 * nothing. Header cells (field titles, chosen by whoever designs the collection) are treated the same.
 */
export function neutralizeFormula(text: string): string {
  return NEEDS_PREFIX.test(text) ? `'${text}` : text;
}

/** A raw column value as a CSV cell: ISO dates, `true`/`false`, JSON as JSON text, formula-like text neutralized. */
export function csvCell(field: FieldMeta, raw: unknown, aesKey?: Buffer): unknown {
  const value = decodeForRead(field, raw, aesKey ? { aesKey } : {});
  if (value === null || value === undefined) return '';
  if (field.type === 'json') return JSON.stringify(value);
  if (typeof value === 'string' && TEXT_TYPES.has(field.type)) return neutralizeFormula(value);
  return value;
}

const TRUE = new Set(['true', '1', 'yes', 'y', 't', 'on']);
const FALSE = new Set(['false', '0', 'no', 'n', 'f', 'off']);

/** exceljs cell values that are objects: rich text, formulas, hyperlinks. */
function plain(cell: unknown): unknown {
  if (cell && typeof cell === 'object' && !(cell instanceof Date)) {
    const c = cell as { richText?: Array<{ text: string }>; result?: unknown; text?: string; error?: string };
    if (Array.isArray(c.richText)) return c.richText.map((r) => r.text).join('');
    if ('result' in c) return c.result;
    if (typeof c.text === 'string') return c.text;
  }
  return cell;
}

function pad(n: number): string {
  return String(n).padStart(2, '0');
}

/**
 * An imported cell as the value to write to `field`, or `undefined` for an empty cell (the field's
 * default applies). Returns a value the codec will check (a wrong one is reported with the row and
 * column); throws Error with the reason when the cell cannot mean a value of this type at all.
 */
export function cellToValue(field: FieldMeta, cell: unknown): unknown {
  const value = plain(cell);
  if (value === null || value === undefined || (typeof value === 'string' && value.trim() === '')) return undefined;
  switch (field.type) {
    case 'boolean': {
      if (typeof value === 'boolean') return value;
      const text = String(value).trim().toLowerCase();
      if (TRUE.has(text)) return true;
      if (FALSE.has(text)) return false;
      throw new Error(`invalid boolean value ${JSON.stringify(String(value))}`);
    }
    case 'integer':
    case 'float':
    case 'double': {
      if (typeof value === 'number') return value;
      const text = String(value).trim();
      const n = Number(text);
      if (text === '' || !Number.isFinite(n)) throw new Error(`invalid number value ${JSON.stringify(text)}`);
      return n;
    }
    case 'bigInt':
    case 'snowflakeId':
      return typeof value === 'number' ? value : String(value).trim();
    case 'decimal':
      return typeof value === 'number' ? value : String(value).trim();
    case 'dateOnly':
      if (value instanceof Date) return `${value.getUTCFullYear()}-${pad(value.getUTCMonth() + 1)}-${pad(value.getUTCDate())}`;
      return String(value).trim();
    case 'date':
    case 'datetime':
    case 'datetimeTz':
      return value instanceof Date ? value.toISOString() : String(value).trim();
    case 'json':
      if (typeof value !== 'string') return value;
      try {
        return JSON.parse(value);
      } catch {
        throw new Error('invalid JSON');
      }
    case 'belongsTo':
      return typeof value === 'number' ? value : String(value).trim();
    default: {
      const text = value instanceof Date ? value.toISOString() : typeof value === 'string' ? value : String(value);
      // An exported CSV's neutralized formula-like text (`'=…`) comes back as it was.
      return TEXT_TYPES.has(field.type) && text.startsWith("'") && NEEDS_PREFIX.test(text.slice(1)) ? text.slice(1) : text;
    }
  }
}
