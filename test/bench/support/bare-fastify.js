'use strict';
/**
 * The reference of the HTTP benchmark: a bare fastify 5 server with default options, in its own process
 * like the product, answering the gateway's two benchmarked routes with the same bodies.
 * Env: PORT (required), HOST (default 127.0.0.1), INFO_BODY (the JSON `GET /api/app:getInfo` answers,
 * serialised again on every request as the gateway does). Prints `listening <port>` once ready.
 */
const Fastify = require('fastify');

const port = Number(process.env.PORT);
const host = process.env.HOST || '127.0.0.1';
const info = JSON.parse(process.env.INFO_BODY || '{"data":null}');

const app = Fastify({ logger: false });
app.get('/api/__health_check', (_req, reply) => reply.type('text/plain; charset=utf-8').send('ok'));
// `::` is fastify's escape for a literal colon in a path.
app.get('/api/app::getInfo', (_req, reply) => reply.send(info));

const stop = () => app.close().then(() => process.exit(0), () => process.exit(1));
process.once('SIGTERM', stop);
process.once('SIGINT', stop);

app.listen({ port, host }).then(
  () => console.log(`listening ${port}`),
  (err) => {
    console.error(err);
    process.exit(1);
  },
);
