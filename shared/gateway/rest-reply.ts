import type { ResponseMeta } from './send-result.js';

export interface ReplyOptions {
  /** HTTP status other than 200 (e.g. 202 for a queued task). */
  readonly status?: number;
  /** Content type of a stream or Buffer body. */
  readonly type?: string;
  readonly headers?: Record<string, string>;
}

/**
 * A REST handler's answer with HTTP details beyond the body (status, content type, headers). Handlers
 * return it instead of touching a Moleculer context; the action wrapper moves it into `ctx.meta`,
 * which travels back to the gateway across nodes.
 */
export class RestReply {
  constructor(
    readonly body: unknown,
    readonly options: ReplyOptions,
  ) {}

  /** The `ctx.meta` fields the gateway reads (send-result.ts). */
  meta(): ResponseMeta {
    const meta: ResponseMeta = {};
    if (this.options.status !== undefined) meta.$statusCode = this.options.status;
    if (this.options.type !== undefined) meta.$responseType = this.options.type;
    if (this.options.headers !== undefined) meta.$responseHeaders = { ...this.options.headers };
    return meta;
  }
}

export function reply(body: unknown, options: ReplyOptions): RestReply {
  return new RestReply(body, options);
}
