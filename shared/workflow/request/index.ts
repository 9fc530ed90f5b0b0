export type { NameValue, RequestConfig, RequestJobOutcome, RequestOptions, RequestResult } from './types.js';
export { performRequest, runRequestNode } from './perform-request.js';
export { buildRequest } from './build-request.js';
export { requestPolicy, DEFAULT_REQUEST_POLICY, type RequestPolicy } from './target-policy.js';
