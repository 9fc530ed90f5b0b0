import { cbError } from '../errors/index.js';

/**
 * Quotes one SQL identifier, doubling `"`: the only quoting of names in clusterbase. Refuses an empty
 * name, NUL, and `?`: runSql reads every `?` of a statement as a placeholder (quoted identifiers
 * included), so a `?` in a name would shift every bound value after it.
 */
export function quoteIdent(name: string): string {
  if (typeof name !== 'string' || name.length === 0) throw cbError('CB_ERR_VALIDATION', 'An identifier must be a non-empty string');
  if (name.includes('\0') || name.includes('?')) {
    throw cbError('CB_ERR_VALIDATION', `The name ${JSON.stringify(name)} contains a character not allowed in identifiers (NUL or ?)`);
  }
  return `"${name.replaceAll('"', '""')}"`;
}

/** `"schema"."table"`. */
export function qualified(schema: string, table: string): string {
  return `${quoteIdent(schema)}.${quoteIdent(table)}`;
}

/**
 * Turns `?` placeholders into `$1…$n` for a bare `pg` client (runSql does its own conversion). Skips
 * `?` inside quoted identifiers and string literals.
 */
export function toPositional(sql: string): string {
  let out = '';
  let n = 0;
  let quote: '"' | "'" | null = null;
  for (const ch of sql) {
    if (quote) {
      if (ch === quote) quote = null; // a doubled quote closes and reopens: same outcome
      out += ch;
    } else if (ch === '"' || ch === "'") {
      quote = ch;
      out += ch;
    } else if (ch === '?') {
      out += `$${++n}`;
    } else {
      out += ch;
    }
  }
  return out;
}
