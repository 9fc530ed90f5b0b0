import { randomUUID } from 'node:crypto';
import qs from 'qs';
// swagger-ui's folder through `absolute-path.js` only: the package's main module also evaluates the
// 1.5 MB browser bundle in the server process (memory and start-up time for nothing).
import getSwaggerUiPath from 'swagger-ui-dist/absolute-path.js';
import fastifyStatic from '@fastify/static';
import fastifyMultipart from '@fastify/multipart';
import { openApiDocument } from './openapi.js';
import Fastify, { type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify';
import type { ServiceBroker } from 'moleculer';

import type { HttpMetrics } from './http-metrics.js';
import { acceptedRequestId, bodyProblem, urlHasNul } from './input-guards.js';
import { mapError } from './map-error.js';
import { readMultipart } from './multipart.js';
import { parseApiPath } from './parse-api-path.js';
import { sendResult, type ResponseMeta } from './send-result.js';
import type { RouteTable } from './route-table.js';
import type { ErrorBody, RestMeta } from './types.js';
import type { Logger } from '../errors/index.js';

export interface GatewayOptions {
  readonly host: string;
  readonly port: number;
  readonly bodyLimit: number;
  /** Connection limits in ms (HTTP_*_TIMEOUT): slowloris senders and slow readers are closed. */
  readonly timeouts?: {
    readonly requestTimeoutMs: number;
    readonly headersTimeoutMs: number;
    readonly keepAliveTimeoutMs: number;
    readonly connectionTimeoutMs: number;
    readonly writeTimeoutMs: number;
  };
  readonly routes: RouteTable;
  /** False while the node starts or drains: `/api/__health_check` answers 503 then. */
  readonly isAvailable: () => boolean;
  readonly logger: Logger;
  readonly metrics: HttpMetrics;
  /** clusterbase's version, for the OpenAPI document. */
  readonly version: string;
}

const DOCS_PAGE = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>clusterbase API</title>
<link rel="stylesheet" href="/api/__docs/assets/swagger-ui.css"></head>
<body><div id="docs"></div>
<script src="/api/__docs/assets/swagger-ui-bundle.js"></script>
<script>SwaggerUIBundle({ url: '/api/__openapi.json', dom_id: '#docs' });</script>
</body></html>`;

const WRITE_METHODS = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);
const READ_METHODS = new Set(['GET', 'POST']);
const APP_NAME = /^[a-z][a-z0-9_]{0,62}$/;

function errorBody(message: string, code: string): ErrorBody {
  return { errors: [{ message, code }] };
}

function header(req: FastifyRequest, name: string): string | undefined {
  const value = req.headers[name];
  return Array.isArray(value) ? value[0] : value;
}

/**
 * The HTTP face of the requests role: `/api/<resource>:<action>` dispatched to the Moleculer action
 * that declares it (on whichever node has it), answered in NocoBase's envelope.
 */
export function createGateway(broker: ServiceBroker, opts: GatewayOptions): FastifyInstance {
  const { metrics } = opts;
  const app = Fastify({
    logger: false,
    bodyLimit: opts.bodyLimit,
    ...(opts.timeouts
      ? {
          requestTimeout: opts.timeouts.requestTimeoutMs,
          keepAliveTimeout: opts.timeouts.keepAliveTimeoutMs,
          connectionTimeout: opts.timeouts.connectionTimeoutMs,
          // Node checks the request/headers deadlines every connectionsCheckingInterval (30 s by default).
          http: { headersTimeout: opts.timeouts.headersTimeoutMs, connectionsCheckingInterval: Math.min(30_000, Math.max(100, Math.floor(opts.timeouts.headersTimeoutMs / 4))) },
        }
      : {}),
    return503OnClosing: true,
    forceCloseConnections: 'idle',
    genReqId: (req) => acceptedRequestId(req.headers['x-request-id']) ?? randomUUID(),
    // NocoBase's query strings: `filter[title.$includes]=x`, `fields[]=id&fields[]=title`, `appends[]=…`.
    routerOptions: { querystringParser: (text: string) => qs.parse(text, { depth: 5, arrayLimit: 100, parameterLimit: 200 }) },
  });

  // NocoBase's body parser takes JSON and form bodies, and an empty body as no body: its client posts
  // sign-out as an empty `application/x-www-form-urlencoded` request.
  app.removeContentTypeParser('application/json');
  app.addContentTypeParser('application/json', { parseAs: 'string' }, (_req, text: string, done) => {
    if (text.trim() === '') return done(null, undefined);
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch (err) {
      return done(Object.assign(err as Error, { statusCode: 400 }), undefined);
    }
    const problem = bodyProblem(parsed);
    return problem ? done(Object.assign(new Error(`The request body ${problem}`), { statusCode: 400, refused: true }), undefined) : done(null, parsed);
  });
  app.addContentTypeParser('application/x-www-form-urlencoded', { parseAs: 'string' }, (_req, text: string, done) => {
    if (text === '') return done(null, undefined);
    const parsed = qs.parse(text, { depth: 5, arrayLimit: 100, parameterLimit: 200 });
    const problem = bodyProblem(parsed);
    return problem ? done(Object.assign(new Error(`The request body ${problem}`), { statusCode: 400, refused: true }), undefined) : done(null, parsed);
  });
  app.addHook('onRequest', (req, reply, done) => {
    if (urlHasNul(req.url)) {
      reply.code(400).send(errorBody('The URL contains a NUL character (%00), which cannot be stored', 'CB_ERR_VALIDATION'));
      return;
    }
    done();
  });

  // While the server closes, answers carry `Connection: close`, so a keep-alive connection ends after
  // its in-flight request instead of holding the close open until its idle timeout.
  let closing = false;
  app.addHook('preClose', (done) => {
    closing = true;
    done();
  });
  app.addHook('onSend', (req, reply, payload, done) => {
    if (closing) reply.header('connection', 'close');
    // The id this request is logged under: the client's when it was safe, else a generated one.
    reply.header('x-request-id', req.id);
    done(null, payload);
  });

  app.addHook('onResponse', (req, reply, done) => {
    const route = (req as FastifyRequest & { cbRoute?: string }).cbRoute ?? 'unmatched';
    metrics.observe(req.method, route, reply.statusCode, reply.elapsedTime / 1000);
    done();
  });

  app.setErrorHandler((err: Error & { statusCode?: number; code?: string }, req, reply) => {
    const status = err.statusCode ?? 500;
    if (err.code === 'FST_ERR_CTP_BODY_TOO_LARGE' || status === 413) {
      return reply.code(413).send(errorBody(`The request body is larger than ${opts.bodyLimit} bytes`, 'CB_ERR_HTTP_BODY_TOO_LARGE'));
    }
    if (err.code === 'FST_ERR_CTP_INVALID_MEDIA_TYPE' || status === 415) {
      return reply.code(415).send(errorBody(`Unsupported content type ${header(req, 'content-type') ?? ''}`.trim(), 'CB_ERR_HTTP_UNSUPPORTED_MEDIA'));
    }
    if (status === 400) {
      const message = (err as { refused?: boolean }).refused ? err.message : `The request body is not valid JSON: ${err.message}`;
      return reply.code(400).send(errorBody(message, 'CB_ERR_HTTP_BAD_BODY'));
    }
    opts.logger.error(`request ${req.id} failed`, err);
    return reply.code(500).send(errorBody('Internal server error', 'CB_ERR_INTERNAL'));
  });

  app.setNotFoundHandler((req, reply) =>
    reply.code(404).send(errorBody(`No route ${req.method} ${req.url.split('?')[0]}`, 'CB_ERR_HTTP_NOT_FOUND')),
  );

  let openApi: { version: number; text: string } | null = null;
  app.get('/api/__openapi.json', (_req, reply) => {
    if (openApi?.version !== opts.routes.version) {
      openApi = { version: opts.routes.version, text: JSON.stringify(openApiDocument(opts.routes, { title: 'clusterbase API', version: opts.version })) };
    }
    return reply.type('application/json; charset=utf-8').send(openApi.text);
  });
  app.register(fastifyStatic, { root: getSwaggerUiPath(), prefix: '/api/__docs/assets/', decorateReply: false });
  app.get('/api/__docs', (_req, reply) => reply.type('text/html; charset=utf-8').send(DOCS_PAGE));

  app.get('/api/__health_check', (_req, reply) => {
    if (opts.isAvailable()) return reply.type('text/plain; charset=utf-8').send('ok');
    return reply
      .code(503)
      .send({ error: { status: 503, maintaining: true, message: 'The node is starting or shutting down', code: 'APP_UNAVAILABLE' } });
  });

  const dispatch = async (req: FastifyRequest, reply: FastifyReply) => {
    const path = (req.params as { '*': string })['*'];
    const target = parseApiPath(path, req.method);
    if (!target) return reply.code(404).send(errorBody(`No route ${req.method} /api/${path}`, 'CB_ERR_HTTP_NOT_FOUND'));

    const lookup = opts.routes.lookup(target.resource, target.action);
    if (!lookup.found) {
      const message =
        lookup.reason === 'resource'
          ? `Resource "${target.resource}" not found`
          : `Action "${target.action}" not found on resource "${target.resource}"`;
      return reply.code(404).send(errorBody(message, 'CB_ERR_HTTP_NOT_FOUND'));
    }
    const { route } = lookup;
    (req as FastifyRequest & { cbRoute?: string }).cbRoute = `${target.resource}:${target.action}`;
    const allowed = route.write ? WRITE_METHODS : READ_METHODS;
    if (!allowed.has(req.method)) {
      return reply
        .code(405)
        .header('allow', [...allowed].join(', '))
        .send(errorBody(`${target.resource}:${target.action} does not accept ${req.method}; use ${[...allowed].join(' or ')}`, 'CB_ERR_HTTP_METHOD_NOT_ALLOWED'));
    }

    const app = header(req, 'x-app') ?? 'main';
    if (!APP_NAME.test(app)) return reply.code(400).send(errorBody(`Invalid X-App header "${app.slice(0, 64)}"`, 'CB_ERR_VALIDATION'));

    const meta: RestMeta = {
      app,
      requestId: req.id,
      authorization: header(req, 'authorization'),
      idempotencyKey: header(req, 'idempotency-key'),
      authenticator: header(req, 'x-authenticator'),
      ip: req.ip,
      role: header(req, 'x-role'),
      timezone: header(req, 'x-timezone'),
    };
    const params: Record<string, unknown> = { ...(req.query as object) };
    if (req.body !== undefined) params.values = req.body;
    if (target.associatedIndex !== undefined) params.associatedIndex = target.associatedIndex;
    if (target.filterByTk !== undefined) params.filterByTk = target.filterByTk;
    params.resourceName = target.resource;
    // `files` holds what the multipart reader staged; a client never sets it (e.g. `?files[file][path]=`).
    delete params.files;

    try {
      if (req.isMultipart()) {
        if (!route.upload) return reply.code(415).send(errorBody(`${target.resource}:${target.action} does not take multipart/form-data`, 'CB_ERR_HTTP_UNSUPPORTED_MEDIA'));
        const { values, files } = await readMultipart(req, (stream, part) =>
          // No request timeout: staging lasts as long as the client takes to send the file.
          broker.call(route.actionName, { ...params }, { stream, timeout: 0, meta: { ...meta, $upload: part } }),
          opts.bodyLimit,
        );
        params.values = values;
        params.files = files;
      }
      const responseMeta = meta as RestMeta & ResponseMeta;
      const result = (await broker.call(route.actionName, params, { meta: responseMeta })) as unknown;
      return sendResult(req, reply, result, responseMeta, opts.timeouts?.writeTimeoutMs);
    } catch (err) {
      const mapped = mapError(err);
      if (mapped.internal) opts.logger.error(`request ${req.id} ${req.method} ${target.resource}:${target.action} failed`, err);
      if (mapped.retryAfterSec !== undefined) void reply.header('retry-after', String(mapped.retryAfterSec));
      return reply.code(mapped.status).send(mapped.body);
    }
  };
  // multipart/form-data only for routes declared `upload`; the action staging a file enforces its size limit.
  // Registered with the action routes only: its two async hooks per request stay off the health check.
  app.register(async (api) => {
    await api.register(fastifyMultipart, { limits: { fileSize: Number.MAX_SAFE_INTEGER, files: 10, fields: 100, fieldSize: opts.bodyLimit } });
    api.route({ method: ['GET', 'POST', 'PUT', 'PATCH', 'DELETE'], url: '/api/*', handler: dispatch });
  });
  return app;
}
