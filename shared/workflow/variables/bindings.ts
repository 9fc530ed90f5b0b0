import { cbError } from '../../errors/index.js';
import { render, type Binding } from './render.js';

function scalar(value: unknown): boolean {
  return value === null || value === undefined || value instanceof Date || ['string', 'number', 'boolean', 'bigint'].includes(typeof value);
}

/**
 * A filter's variables bind values, never structure: a placeholder may stand for a scalar or a list of
 * scalars (`$in`), not for an object, so a record value such as `{"$ne": null}` cannot turn a
 * condition into "every row" (CB_ERR_VALIDATION names the placeholder).
 */
const filterBinding: Binding = {
  whole(value, placeholder) {
    if (scalar(value) || (Array.isArray(value) && value.every(scalar))) return value;
    throw cbError('CB_ERR_VALIDATION', `The filter variable {{${placeholder}}} must be a value or a list of values, not an object`);
  },
};

export function renderFilter<T>(filter: T, scope: Record<string, unknown>): T {
  return render(filter, scope, filterBinding);
}

/**
 * A URL's variables are data inside the URL, never syntax: an interpolated value is percent-encoded,
 * so `../../admin?x=1#` stays one path segment. A placeholder that starts the URL (a base URL such as
 * `{{$env.API}}/orders`) or is the whole URL is taken as it is: it names the target, which the
 * request policy checks.
 */
const urlBinding: Binding = { text: (text, _placeholder, offset) => (offset === 0 ? text : encodeURIComponent(text)) };

export function renderUrl(url: unknown, scope: Record<string, unknown>): unknown {
  return render(url, scope, urlBinding);
}
