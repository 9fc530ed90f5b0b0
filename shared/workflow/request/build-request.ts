import { cbError } from '../../errors/index.js';
import type { NameValue, RequestConfig } from './types.js';

const METHODS = new Set(['GET', 'POST', 'PUT', 'PATCH', 'DELETE', 'HEAD', 'OPTIONS']);

function rows(list: NameValue[] | undefined): Array<[string, string]> {
  return (list ?? [])
    .filter((row) => row && typeof row.name === 'string' && row.name.trim() !== '')
    .map((row) => [row.name.trim(), row.value === null || row.value === undefined ? '' : typeof row.value === 'object' ? JSON.stringify(row.value) : String(row.value)]);
}

function formBody(data: unknown): URLSearchParams {
  const form = new URLSearchParams();
  const entries = Array.isArray(data) ? rows(data as NameValue[]) : Object.entries((data ?? {}) as Record<string, unknown>).map(([k, v]) => [k, typeof v === 'object' && v !== null ? JSON.stringify(v) : String(v ?? '')]);
  for (const [name, value] of entries) form.append(name as string, value as string);
  return form;
}

/** The fetch arguments for a config: refuses non-http(s) URLs and unknown methods (CB_ERR_VALIDATION). */
export function buildRequest(config: RequestConfig, idempotencyKey: string): { url: URL; init: RequestInit } {
  let url: URL;
  try {
    url = new URL(String(config.url ?? '').trim());
  } catch {
    throw cbError('CB_ERR_VALIDATION', `The request URL "${String(config.url)}" is not a valid URL`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw cbError('CB_ERR_VALIDATION', `The request URL must use http or https, not ${url.protocol}`);
  }
  const method = (config.method ?? 'POST').toUpperCase();
  if (!METHODS.has(method)) throw cbError('CB_ERR_VALIDATION', `Unknown HTTP method "${config.method}"`);
  for (const [name, value] of rows(config.params)) url.searchParams.append(name, value);

  const headers = new Headers();
  headers.set('Idempotency-Key', idempotencyKey);
  for (const [name, value] of rows(config.headers)) headers.set(name, value);

  let body: string | URLSearchParams | undefined;
  if (method !== 'GET' && method !== 'HEAD' && config.data !== undefined && config.data !== null) {
    const contentType = config.contentType ?? 'application/json';
    if (contentType === 'application/x-www-form-urlencoded') body = formBody(config.data);
    else if (contentType.includes('json')) body = typeof config.data === 'string' ? config.data : JSON.stringify(config.data);
    else body = typeof config.data === 'string' ? config.data : JSON.stringify(config.data);
    if (!headers.has('Content-Type')) headers.set('Content-Type', contentType);
  }
  return { url, init: { method, headers, body, redirect: 'follow' } };
}
