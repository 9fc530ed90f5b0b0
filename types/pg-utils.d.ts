declare module 'pg/lib/utils.js' {
  /** pg's text form of a query parameter (what it sends for a bound value; null for SQL NULL). */
  export function prepareValue(value: unknown): string | null;
}
