import type { RequestPolicy } from './target-policy.js';

/** A name/value row as NocoBase's request node stores headers, query params and form fields. */
export interface NameValue {
  name: string;
  value: unknown;
}

/**
 * The request node's config (NocoBase plugin-workflow-request), already rendered against the scope,
 * plus `retries`. `timeout` is per attempt, in ms (default 5000, as NocoBase).
 */
export interface RequestConfig {
  method?: string;
  url: string;
  headers?: NameValue[];
  params?: NameValue[];
  data?: unknown;
  contentType?: string;
  timeout?: number;
  ignoreFail?: boolean;
  /** Only the response body as the job result (NocoBase's `onlyData`); default false. */
  onlyData?: boolean;
  /** Extra attempts after a network error, a timeout, a 5xx or a 429. Default 0. */
  retries?: number;
  /** Largest response body accepted, in bytes (default 10 MiB). */
  maxResponseBytes?: number;
  /** First backoff delay in ms, doubled per retry (with jitter). Default 200. */
  retryDelay?: number;
}

export interface RequestOptions {
  /** Sent as the Idempotency-Key header, identical on every attempt (the engine passes `<executionId>:<nodeId>`). */
  idempotencyKey: string;
  /** Aborts the whole call (cancel, shutdown). */
  signal?: AbortSignal;
  /** Overrides `config.timeout` (still capped by the policy's maximum). */
  timeoutMs?: number;
  /** Where the call may connect; default DEFAULT_REQUEST_POLICY (public addresses only). */
  policy?: RequestPolicy;
}

export interface RequestResult {
  status: number;
  headers?: Record<string, string>;
  data: unknown;
}

/** What a job records: `resolved` with the response, or `failed` with what went wrong. */
export interface RequestJobOutcome {
  status: 'resolved' | 'failed';
  result: unknown;
}
