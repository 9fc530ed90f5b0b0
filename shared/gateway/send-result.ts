import type { FastifyReply, FastifyRequest } from 'fastify';

/**
 * What an action may set in `ctx.meta` to shape its HTTP answer (as moleculer-web reads them; meta
 * travels back to the caller across nodes): `$statusCode` (e.g. 202), `$responseType` (content type;
 * set it when answering a stream or a Buffer) and `$responseHeaders` (e.g. Content-Disposition).
 */
export interface ResponseMeta {
  $statusCode?: number;
  $responseType?: string;
  $responseHeaders?: Record<string, string>;
}

function isStream(value: unknown): value is NodeJS.ReadableStream & { destroy(): void; readableEnded?: boolean } {
  return value !== null && typeof value === 'object' && typeof (value as { pipe?: unknown }).pipe === 'function';
}

/**
 * Sends an action's answer: a stream is piped (a file, or Server-Sent Events — destroyed when the
 * client goes away, which ends the action's subscription), a Buffer is sent as bytes, anything else
 * in NocoBase's `{ data, meta }` envelope.
 */
export function sendResult(req: FastifyRequest, reply: FastifyReply, result: unknown, meta: ResponseMeta, writeTimeoutMs?: number): FastifyReply {
  const status = typeof meta.$statusCode === 'number' && meta.$statusCode >= 200 && meta.$statusCode < 600 ? meta.$statusCode : 200;
  reply.code(status);
  for (const [name, value] of Object.entries(meta.$responseHeaders ?? {})) reply.header(name, value);
  if (isStream(result)) {
    req.raw.once('close', () => {
      if (!result.readableEnded) result.destroy();
    });
    // A write deadline for files (not event streams, which live as long as the client wants): a
    // client that reads too slowly, or not at all, is disconnected and its stream destroyed.
    const type = meta.$responseType ?? 'application/octet-stream';
    if (writeTimeoutMs && !type.startsWith('text/event-stream')) {
      const timer = setTimeout(() => reply.raw.destroy(), writeTimeoutMs);
      timer.unref();
      reply.raw.once('close', () => clearTimeout(timer));
    }
    return reply.type(meta.$responseType ?? 'application/octet-stream').send(result);
  }
  if (Buffer.isBuffer(result)) return reply.type(meta.$responseType ?? 'application/octet-stream').send(result);
  const envelope = result !== null && typeof result === 'object' && 'data' in result ? result : { data: result ?? null };
  return reply.send(envelope);
}
