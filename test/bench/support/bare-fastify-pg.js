'use strict';
/**
 * The reference of the records benchmark: a bare fastify 5 server with default options and a `pg` Pool,
 * in its own process like the product, answering `GET /api/products:list` and `POST /api/products:create`
 * with the SQL clusterbase runs for them, on the same table, and the same JSON shapes:
 * - list: the page of rows `order by "id" asc limit/offset`, then `select count(*)`, answered as
 *   `{ data, meta: { count, page, pageSize, totalPage } }`;
 * - create: one `insert ... returning *` (id from a counter, `createdAt`/`updatedAt` set here as
 *   clusterbase does), answered as `{ data }`. No transaction, no validation, no hooks: the bare minimum.
 * Env: PORT (required), HOST (default 127.0.0.1), DATABASE_URL (required), DB_SCHEMA (required),
 * POOL_SIZE (default 10), ID_START (first id of created rows; default 2^52, far above today's snowflake IDs).
 * Prints `listening <port>` once ready.
 */
const Fastify = require('fastify');
const { Pool, types } = require('pg');

// bigint columns and count(*) as JS numbers, as clusterbase answers them (snowflake IDs fit in 2^53).
types.setTypeParser(20, (v) => Number(v));

const port = Number(process.env.PORT);
const host = process.env.HOST || '127.0.0.1';
const schema = process.env.DB_SCHEMA;
if (!process.env.DATABASE_URL || !schema) {
  console.error('bare-fastify-pg: DATABASE_URL and DB_SCHEMA are required');
  process.exit(1);
}
const pool = new Pool({ connectionString: process.env.DATABASE_URL, max: Number(process.env.POOL_SIZE || 10) });
let nextId = Number(process.env.ID_START || 2 ** 52);

const q = (name) => `"${name.replace(/"/g, '""')}"`;
const table = `${q(schema)}.${q('products')}`;
const LIST_SQL = `select "id", "title", "price", "qty", "active", "createdAt", "updatedAt" from ${table} where TRUE order by "id" asc`;
const COUNT_SQL = `select count(*) as "count" from ${table} where TRUE`;
const INSERT_SQL = `insert into ${table} ("id", "title", "price", "qty", "active", "createdAt", "updatedAt") values ($1, $2, $3, $4, $5, $6, $7) returning *`;

const app = Fastify({ logger: false });
app.get('/api/__health_check', (_req, reply) => reply.type('text/plain; charset=utf-8').send('ok'));

// `::` is fastify's escape for a literal colon in a path.
app.get('/api/products::list', async (req) => {
  const page = Math.max(1, Number(req.query.page) || 1);
  const pageSize = Math.max(1, Number(req.query.pageSize) || 20);
  // One after the other, as clusterbase runs them (page first, then the count); limit/offset inlined likewise.
  const rows = await pool.query(`${LIST_SQL} limit ${pageSize} offset ${(page - 1) * pageSize}`);
  const count = await pool.query(COUNT_SQL);
  const total = count.rows[0].count;
  return { data: rows.rows, meta: { count: total, page, pageSize, totalPage: Math.ceil(total / pageSize) } };
});

app.post('/api/products::create', async (req) => {
  const b = req.body || {};
  const now = new Date().toISOString();
  const id = nextId++;
  const res = await pool.query(INSERT_SQL, [id, b.title ?? null, b.price ?? null, b.qty ?? null, b.active ?? null, now, now]);
  return { data: res.rows[0] };
});

const stop = () =>
  app
    .close()
    .then(() => pool.end())
    .then(() => process.exit(0), () => process.exit(1));
process.once('SIGTERM', stop);
process.once('SIGINT', stop);

app.listen({ port, host }).then(
  () => console.log(`listening ${port}`),
  (err) => {
    console.error(err);
    process.exit(1);
  },
);
