import { cbError } from '../errors/index.js';

/**
 * `sort` / `fields` arrive as `a,b` (query string), `['a', 'b']` (qs `a[]=`, JSON bodies) or a mix;
 * returns the trimmed non-empty names.
 */
export function listItems(param: string, value: unknown): string[] {
  if (value === undefined || value === null || value === '') return [];
  const raw = typeof value === 'string' ? [value] : Array.isArray(value) ? value : undefined;
  if (!raw || raw.some((item) => typeof item !== 'string')) {
    throw cbError('CB_ERR_VALIDATION', `${param} must be a comma-separated list or an array of names`, { param });
  }
  return (raw as string[]).flatMap((item) => item.split(',')).map((s) => s.trim()).filter((s) => s.length > 0);
}
