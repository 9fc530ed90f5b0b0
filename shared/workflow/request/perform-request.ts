import { setTimeout as sleep } from 'node:timers/promises';
import { cbError } from '../../errors/index.js';
import { buildRequest } from './build-request.js';
import { guardedFetch } from './guarded-fetch.js';
import { DEFAULT_REQUEST_POLICY } from './target-policy.js';
import type { RequestConfig, RequestJobOutcome, RequestOptions, RequestResult } from './types.js';

const DEFAULT_TIMEOUT_MS = 5000;
const UNREACHABLE = 'The request target is refused or unreachable';
const MAX_RETRY_WAIT_MS = 30_000;

class Retryable extends Error {
  constructor(readonly failure: Record<string, unknown>, readonly waitMs?: number) {
    super(String(failure.message ?? 'request failed'));
  }
}

function headerObject(headers: FetchResponse['headers']): Record<string, string> {
  return Object.fromEntries(headers.entries());
}

/** Largest response body kept (default 10 MiB): a bigger one fails the call instead of filling memory. */
export const DEFAULT_MAX_RESPONSE_BYTES = 10 * 1024 * 1024;

type FetchResponse = Awaited<ReturnType<typeof guardedFetch>>;

async function readText(response: FetchResponse, maxBytes: number): Promise<string> {
  const declared = Number(response.headers.get('content-length'));
  if (Number.isFinite(declared) && declared > maxBytes) {
    await response.body?.cancel();
    throw tooLarge(maxBytes);
  }
  if (!response.body) return '';
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of response.body) {
    size += chunk.byteLength;
    if (size > maxBytes) throw tooLarge(maxBytes);
    chunks.push(Buffer.from(chunk));
  }
  return Buffer.concat(chunks).toString('utf8');
}

function tooLarge(maxBytes: number) {
  return cbError('CB_ERR_WORKFLOW_REQUEST_FAILED', `The response is larger than ${maxBytes} bytes`, { message: `The response is larger than ${maxBytes} bytes`, code: 'ERESPONSETOOLARGE' });
}

async function readBody(response: FetchResponse, maxBytes: number): Promise<unknown> {
  const text = await readText(response, maxBytes);
  if (text === '') return null;
  if ((response.headers.get('content-type') ?? '').includes('json')) {
    try {
      return JSON.parse(text);
    } catch {
      return text;
    }
  }
  return text;
}

function retryAfterMs(response: FetchResponse): number | undefined {
  const value = response.headers.get('retry-after');
  if (!value) return undefined;
  const seconds = Number(value);
  const ms = Number.isFinite(seconds) ? seconds * 1000 : Date.parse(value) - Date.now();
  return Number.isFinite(ms) && ms >= 0 ? Math.min(ms, MAX_RETRY_WAIT_MS) : undefined;
}

async function attempt(config: RequestConfig, options: RequestOptions): Promise<RequestResult> {
  const { url, init } = buildRequest(config, options.idempotencyKey);
  const policy = options.policy ?? DEFAULT_REQUEST_POLICY;
  const timeoutMs = Math.min(options.timeoutMs ?? (config.timeout && config.timeout > 0 ? config.timeout : DEFAULT_TIMEOUT_MS), policy.maxTimeoutMs);
  const signals = [AbortSignal.timeout(timeoutMs), ...(options.signal ? [options.signal] : [])];
  let response: FetchResponse;
  let data: unknown;
  try {
    response = await guardedFetch(policy, url, { ...(init as object), signal: AbortSignal.any(signals) });
    // The same signal covers the body: a server that sends headers and then stalls times out too.
    data = await readBody(response, config.maxResponseBytes ?? DEFAULT_MAX_RESPONSE_BYTES);
  } catch (error) {
    if (options.signal?.aborted || (error as { type?: string }).type) throw error;
    if ((error as Error).name === 'TimeoutError') throw new Retryable({ message: `The request timed out after ${timeoutMs} ms`, code: 'ETIMEDOUT' });
    // Refused (internal) and unreachable targets answer alike: the error must not map a network.
    throw new Retryable({ message: UNREACHABLE, code: 'EUNREACHABLE' });
  }
  const result: RequestResult = { status: response.status, headers: headerObject(response.headers), data };
  if (response.ok) return result;
  const failure = { message: `Request failed with status code ${response.status}`, ...result };
  if (response.status >= 500 || response.status === 429) throw new Retryable(failure, retryAfterMs(response));
  throw cbError('CB_ERR_WORKFLOW_REQUEST_FAILED', failure.message, failure);
}

/**
 * Performs the request node's HTTP call with Node's fetch. Each attempt has its own timeout; network
 * errors, timeouts, 5xx and 429 are retried `config.retries` times with exponential backoff (honouring
 * Retry-After), always with the same Idempotency-Key so the receiver can apply the call once. Resolves
 * with `{status, headers, data}` (JSON parsed) for a 2xx; otherwise throws
 * CB_ERR_WORKFLOW_REQUEST_FAILED whose `data` is `{message, status?, headers?, data?, code?}`.
 * A caller abort (signal) rejects with the abort reason at once, without retrying.
 */
export async function performRequest(config: RequestConfig, options: RequestOptions): Promise<RequestResult> {
  const retries = Math.max(0, Math.floor(config.retries ?? 0));
  const baseDelay = config.retryDelay ?? 200;
  for (let tryIndex = 0; ; tryIndex += 1) {
    try {
      return await attempt(config, options);
    } catch (error) {
      if (!(error instanceof Retryable)) throw error;
      if (tryIndex >= retries) {
        throw cbError('CB_ERR_WORKFLOW_REQUEST_FAILED', error.message, { ...error.failure, attempts: tryIndex + 1 });
      }
      const backoff = baseDelay * 2 ** tryIndex * (0.5 + Math.random() / 2);
      await sleep(Math.min(error.waitMs ?? backoff, MAX_RETRY_WAIT_MS), undefined, { signal: options.signal });
    }
  }
}

/**
 * The request node's job outcome, as NocoBase records it: resolved with the response (or only its
 * body with `onlyData`), failed with the failure details — resolved anyway when `ignoreFail` is set.
 * A bad config (non-http URL) fails the job too; a caller abort is re-thrown.
 */
export async function runRequestNode(config: RequestConfig, options: RequestOptions): Promise<RequestJobOutcome> {
  try {
    const response = await performRequest(config, options);
    return { status: 'resolved', result: config.onlyData ? response.data : response };
  } catch (error) {
    if (options.signal?.aborted) throw error;
    const details = (error as { data?: unknown }).data;
    const result = details && typeof details === 'object' ? details : { message: (error as Error).message };
    return { status: config.ignoreFail ? 'resolved' : 'failed', result };
  }
}
