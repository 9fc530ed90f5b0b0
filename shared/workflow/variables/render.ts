import { getPath } from './path.js';

/**
 * Template syntax of NocoBase's `@nocobase/utils` json-templates: `{{ path }}` or `{{ path:default }}`.
 * The character set is NocoBase's, so a `{{` that is not a variable (e.g. JSON in a string) is left as
 * it is.
 */
const TEMPLATE = /{{([\w:\s\-+.,@/()?=*$[\]]+)}}/g;

interface Placeholder {
  readonly key: string;
  readonly fallback?: string;
}

function placeholder(inner: string): Placeholder {
  const text = inner.trim();
  const colon = text.indexOf(':');
  if (colon === -1) return { key: text };
  return { key: text.slice(0, colon).trim(), fallback: text.slice(colon + 1) };
}

/** The value a placeholder stands for: functions are called, a missing value falls back to the default. */
export function resolvePlaceholder(inner: string, scope: Record<string, unknown>, spreadArrays = false): unknown {
  const { key, fallback } = placeholder(inner);
  let value = getPath(scope, key, spreadArrays);
  if (value === undefined && fallback !== undefined) value = fallback;
  if (typeof value === 'function') value = (value as () => unknown)();
  return value;
}

function asText(value: unknown): string {
  if (value === null || value === undefined) return '';
  if (value instanceof Date) return value.toISOString();
  if (typeof value === 'object') return JSON.stringify(value);
  return String(value);
}

/**
 * How placeholder values enter the result: `whole` sees a value that is a whole string on its own
 * (type kept), `text` a value interpolated into a longer string (after conversion to text).
 */
export interface Binding {
  whole?(value: unknown, placeholder: string): unknown;
  /** `offset`: where the placeholder starts in its string. */
  text?(text: string, placeholder: string, offset: number): string;
}

function renderString(template: string, scope: Record<string, unknown>, binding: Binding = {}): unknown {
  const matches = [...template.matchAll(TEMPLATE)];
  if (matches.length === 0) return template;
  // Exactly one placeholder and nothing else: the value keeps its type (number, object, Date…).
  if (matches.length === 1 && matches[0]?.[0] === template) {
    const value = resolvePlaceholder(matches[0][1] as string, scope);
    return binding.whole ? binding.whole(value, matches[0][1]!.trim()) : value;
  }
  return template.replace(TEMPLATE, (_match, inner: string, offset: number) => {
    const text = asText(resolvePlaceholder(inner, scope));
    return binding.text ? binding.text(text, inner.trim(), offset) : text;
  });
}

/**
 * Renders a node config against a scope with NocoBase's semantics: a string that is exactly one
 * `{{ path }}` keeps the value's type; placeholders inside a longer string are interpolated (objects as
 * JSON, Dates as ISO strings, null/undefined as ''); objects (keys too) and arrays are rendered deeply.
 * Unknown paths render as undefined. Never evaluates code; the input is not modified.
 */
export function render<T>(template: T, scope: Record<string, unknown>, binding?: Binding): T {
  return renderValue(template, scope, binding) as T;
}

function renderValue(value: unknown, scope: Record<string, unknown>, binding?: Binding): unknown {
  if (typeof value === 'string') return renderString(value, scope, binding);
  if (Array.isArray(value)) return value.map((item) => renderValue(item, scope, binding));
  if (value === null || typeof value !== 'object' || value instanceof Date) return value;
  const out: Record<string, unknown> = {};
  for (const [rawKey, child] of Object.entries(value)) {
    const key = asText(renderString(rawKey, scope));
    // A `__proto__` key (literal or rendered) is dropped: assigning it would replace the result's prototype.
    if (key === '__proto__') continue;
    out[key] = renderValue(child, scope, binding);
  }
  return out;
}
