import { JOB_STATUS } from '../constants.js';
import { render, renderUrl, runRequestNode } from './leaf.js';
import type { Instruction } from './types.js';

/**
 * `request`: HTTP with timeout and retries (shared/workflow/request). The Idempotency-Key is derived
 * from execution, node and journal position, so a step retried after a crash sends the same key.
 * A failed request fails the job with what is known of the response (resolved with `ignoreFail`).
 */
export const request: Instruction = {
  outsideTransaction: true,
  validate(config) {
    if (config.url !== undefined && typeof config.url !== 'string') return '"url" must be a string';
    return undefined;
  },
  async run({ node, scope, idempotencyKey, signal, requestPolicy }) {
    const { url, ...rest } = node.config;
    const config = { ...render(rest, scope), url: renderUrl(url, scope) };
    const outcome = await runRequestNode(config as never, { idempotencyKey, signal, ...(requestPolicy ? { policy: requestPolicy } : {}) });
    return { status: outcome.status === 'resolved' ? JOB_STATUS.RESOLVED : JOB_STATUS.FAILED, result: outcome.result };
  },
};
