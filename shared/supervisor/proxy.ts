import httpProxy from '@fastify/http-proxy';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { cbError } from '../errors/index.js';
import { mapError } from '../gateway/index.js';
import type { ControlPlane, RouteTarget } from './control-plane.js';

type Routed = FastifyRequest & { cbTarget?: RouteTarget; cbApp?: string };

/** `/apps/<app>/rest?query` → the app name and `/rest?query`. */
function split(url: string): { app: string; rest: string } {
  const match = /^\/apps\/([^/?#]*)(.*)$/.exec(url);
  const app = decodeURIComponent(match?.[1] ?? '');
  const rest = match?.[2] ?? '';
  return { app, rest: rest === '' || rest.startsWith('?') ? `/${rest}` : rest };
}

function picked(req: FastifyRequest): string | undefined {
  const query = (req.query as { environment?: unknown } | undefined)?.environment;
  if (typeof query === 'string') return query;
  const header = req.headers['x-environment'];
  return Array.isArray(header) ? header[0] : header;
}

/**
 * The supervisor's `/apps/:appName/*` (HTTP and websockets), forwarded by @fastify/http-proxy to the
 * chosen environment's ENVIRONMENT_PROXY_URL, else ENVIRONMENT_URL. The upstream sees `/<rest>` with
 * `X-App: <app>` (so `/apps/shop/api/orders:list` reaches the worker's gateway as app `shop`).
 * Picking: `?environment=` or `X-Environment`; unknown app 404, several environments and no pick 400,
 * no available environment 503 (see ControlPlane.route).
 */
export function registerProxy(server: FastifyInstance, plane: () => ControlPlane | null): void {
  const target = (req: Routed): RouteTarget => {
    if (req.cbTarget) return req.cbTarget;
    const current = plane();
    if (!current) throw cbError('CB_ERR_SERVICE_UNAVAILABLE', 'The supervisor is starting');
    const { app } = split(req.url);
    req.cbApp = app;
    req.cbTarget = current.route(app, picked(req));
    return req.cbTarget;
  };
  void server.register(async (scope) => {
    // Bodies pass through untouched (the gateway's JSON/form parsers would re-encode them).
    scope.removeAllContentTypeParsers();
    await scope.register(httpProxy, {
      upstream: '',
      prefix: '/apps',
      rewritePrefix: '/',
      websocket: true,
      preRewrite: (url: string) => split(url).rest,
      // Callback style, as the plugin types it: an answer sent here ends the request without done().
      preHandler: (req, reply, done) => {
        try {
          target(req as Routed);
        } catch (err) {
          const mapped = mapError(err);
          void reply.code(mapped.status).send(mapped.body);
          return;
        }
        done();
      },
      replyOptions: {
        getUpstream: (req) => target(req as Routed).url,
        rewriteRequestHeaders: (req, headers) => ({ ...headers, 'x-app': (req as Routed).cbApp ?? split(req.url).app, 'x-forwarded-prefix': `/apps/${(req as Routed).cbApp ?? ''}` }),
        onError: (reply, { error }) => {
          void reply.code(502).send({ errors: [{ message: `The app's environment did not answer: ${error.message}`, code: 'CB_ERR_SERVICE_UNAVAILABLE' }] });
        },
      },
      wsClientOptions: {
        rewriteRequestHeaders: (headers: Record<string, unknown>, req: { url: string }) => ({ ...headers, 'x-app': split(req.url).app }),
      },
    });
  });
}
