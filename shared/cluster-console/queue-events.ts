import type { FastifyInstance } from 'fastify';
import type { ServerResponse } from 'node:http';

/** Reads the queue table for a caller (the `cluster:queues` action with the caller's Authorization header). */
export type QueuesFor = (authorization: string | undefined) => Promise<unknown>;

const MIN_MS = 250;
const MAX_MS = 10_000;

const event = (res: ServerResponse, name: string, data: unknown) => res.write(`event: ${name}\ndata: ${JSON.stringify(data)}\n\n`);

/**
 * `GET /admin/cluster/events?interval=<ms>`: Server-Sent Events with the cluster's queue table every
 * interval (default 1000 ms), for the console page's live queue view. Authorized like `cluster:queues`
 * (the caller's bearer token, root or admin): a refused caller gets one `error` event and the stream
 * ends. Streams end when the gateway closes, so they never hold up a shutdown.
 */
export function registerQueueEvents(server: FastifyInstance, queuesFor: QueuesFor): void {
  const open = new Set<ServerResponse>();
  server.addHook('preClose', async () => {
    for (const res of open) res.end();
  });
  server.get('/admin/cluster/events', (req, reply) => {
    const asked = Number((req.query as { interval?: string }).interval);
    const every = Number.isFinite(asked) && asked > 0 ? Math.min(MAX_MS, Math.max(MIN_MS, asked)) : 1000;
    const authorization = req.headers.authorization;
    const res = reply.raw;
    reply.hijack();
    res.writeHead(200, { 'content-type': 'text/event-stream; charset=utf-8', 'cache-control': 'no-store', 'x-content-type-options': 'nosniff', connection: 'keep-alive' });
    open.add(res);
    let timer: NodeJS.Timeout | undefined;
    const stop = () => {
      clearTimeout(timer);
      open.delete(res);
    };
    const push = async () => {
      try {
        event(res, 'queues', await queuesFor(authorization));
        timer = setTimeout(() => void push(), every);
      } catch (err) {
        const e = err as { message?: string; code?: number };
        event(res, 'error', { message: e.message ?? 'error', status: typeof e.code === 'number' ? e.code : 500 });
        stop();
        res.end();
      }
    };
    res.on('close', stop);
    void push();
  });
}
