import { resolvePlaceholder } from './render.js';

const PLACEHOLDER = /{{([\w:\s\-+.,@/()?=*$[\]]+)}}/g;

/**
 * Writes a value as a literal of the math.js expression language (which the formula.js engine shares),
 * so a substituted value is always one complete operand and can never add syntax: strings are quoted
 * with every quote, backslash and control character escaped; numbers are bracketed when negative.
 */
export function toExpressionLiteral(value: unknown): string {
  if (value === null || value === undefined) return 'null';
  if (typeof value === 'number') {
    if (Number.isNaN(value)) return 'NaN';
    if (!Number.isFinite(value)) return value > 0 ? 'Infinity' : '(-Infinity)';
    return value < 0 || Object.is(value, -0) ? `(${String(value)})` : String(value);
  }
  if (typeof value === 'bigint') return value < 0n ? `(${value})` : String(value);
  if (typeof value === 'boolean') return value ? 'true' : 'false';
  if (value instanceof Date) return quote(value.toISOString());
  if (Array.isArray(value)) return `[${value.map(toExpressionLiteral).join(', ')}]`;
  if (typeof value === 'object') {
    const entries = Object.entries(value).map(([key, item]) => `${quote(key)}: ${toExpressionLiteral(item)}`);
    return `{${entries.join(', ')}}`;
  }
  return quote(String(value));
}

/** JSON string syntax, which math.js reads; non-ASCII is escaped too so no character is special. */
function quote(text: string): string {
  return JSON.stringify(text).replace(/[\u007f-\uffff]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

/**
 * Substitutes the `{{ path }}` placeholders of a calculation expression with safe literals. As in
 * NocoBase's evaluators, a path through an array maps over it (`{{$context.data.items.price}}` → a list).
 */
export function renderExpression(expression: string, scope: Record<string, unknown>): string {
  return expression.replace(PLACEHOLDER, (_match, inner: string) => ` ${toExpressionLiteral(resolvePlaceholder(inner, scope, true))} `).trim();
}
