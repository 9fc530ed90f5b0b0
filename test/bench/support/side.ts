/**
 * One server of a side-by-side benchmark seen through its NocoBase-compatible HTTP API: JSON calls
 * with the signed-in user's bearer token, and the collections and workflow both sides get.
 */
import type { Body } from '../../support/http.js';

export interface ApiSide {
  readonly label: string;
  readonly base: string;
  /** Sent with every call (the token, and for NocoBase the authenticator). */
  headers: Record<string, string>;
}

export async function call<T = Body>(side: ApiSide, method: string, path: string, body?: unknown): Promise<T> {
  const res = await fetch(`${side.base}/api/${path}`, {
    method,
    headers: { ...side.headers, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  const text = await res.text();
  if (res.status !== 200) throw new Error(`${side.label}: ${method} /api/${path} answered ${res.status}: ${text.slice(0, 500)}`);
  return (text === '' ? {} : JSON.parse(text)) as T;
}

/** Signs in and keeps the bearer token in `side.headers` (again before each phase: NocoBase tokens expire). */
export async function signIn(side: ApiSide, account: string, password: string, extraHeaders: Record<string, string> = {}): Promise<void> {
  side.headers = { ...extraHeaders };
  const signed = await call<{ data?: { token?: unknown } }>(side, 'POST', 'auth:signIn', { account, password });
  if (typeof signed.data?.token !== 'string') throw new Error(`${side.label}: auth:signIn answered no data.token`);
  side.headers = { ...extraHeaders, authorization: `Bearer ${signed.data.token}` };
}

/** Runs `count` calls of `one(i)`, `concurrency` at a time. */
export async function inParallel(count: number, concurrency: number, one: (i: number) => Promise<unknown>): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < count) {
        const i = next;
        next += 1;
        await one(i);
      }
    }),
  );
}

export const CATEGORIES = 5;

/**
 * The same collections on both sides: `categories` (name), `products` (title, price, qty, active, a
 * belongsTo `category`) seeded with `rows` rows, `orders` (title, price, qty; the workflow's trigger)
 * and `audit` (productId, note; written by the workflow).
 */
export async function createCollections(side: ApiSide, rows: number): Promise<void> {
  await call(side, 'POST', 'collections:create', { name: 'categories', fields: [{ name: 'name', type: 'string' }] });
  await call(side, 'POST', 'collections:create', {
    name: 'products',
    fields: [
      { name: 'title', type: 'string' },
      { name: 'price', type: 'double' },
      { name: 'qty', type: 'integer' },
      { name: 'active', type: 'boolean' },
      { name: 'category', type: 'belongsTo', target: 'categories', foreignKey: 'categoryId' },
    ],
  });
  await call(side, 'POST', 'collections:create', {
    name: 'orders',
    fields: [
      { name: 'title', type: 'string' },
      { name: 'price', type: 'double' },
      { name: 'qty', type: 'integer' },
    ],
  });
  await call(side, 'POST', 'collections:create', { name: 'audit', fields: [{ name: 'productId', type: 'bigInt' }, { name: 'note', type: 'string' }] });
  const categoryIds: unknown[] = [];
  for (let i = 0; i < CATEGORIES; i += 1) categoryIds.push((await call(side, 'POST', 'categories:create', { name: `category ${i}` })).data.id);
  await inParallel(rows, 10, (i) =>
    call(side, 'POST', 'products:create', { title: `item ${i}`, price: (i % 50) + 0.25, qty: i % 97, active: i % 3 !== 0, categoryId: categoryIds[i % CATEGORIES] }),
  );
}

/**
 * The four-node workflow of the workflow benchmark (condition → create → calculation → update),
 * triggered by every `orders` create, enabled. Returns its id.
 */
export async function createWorkflow(side: ApiSide): Promise<unknown> {
  const wf = (await call(side, 'POST', 'workflows:create', { title: 'bench', type: 'collection', sync: false, config: { mode: 1, collection: 'orders' } })).data;
  const add = async (body: Record<string, unknown>) => (await call(side, 'POST', `workflows/${wf.id}/nodes:create`, body)).data;
  const cond = await add({
    type: 'condition',
    upstreamId: null,
    config: { rejectOnFalse: true, engine: 'basic', calculation: { group: { type: 'and', calculations: [{ calculator: 'gte', operands: ['{{$context.data.price}}', 0] }] } } },
  });
  const create = await add({ type: 'create', upstreamId: cond.id, config: { collection: 'audit', params: { values: { productId: '{{$context.data.id}}', note: 'created {{$context.data.title}}' } } } });
  const calc = await add({ type: 'calculation', upstreamId: create.id, config: { engine: 'math.js', expression: '{{$context.data.price}} * {{$context.data.qty}}' } });
  await add({
    type: 'update',
    upstreamId: calc.id,
    config: { collection: 'audit', params: { filter: { id: { $eq: `{{$jobsMapByNodeKey.${create.key}.id}}` } }, values: { note: `total={{$jobsMapByNodeKey.${calc.key}}}` } } },
  });
  await call(side, 'POST', `workflows:update?filterByTk=${wf.id}`, { enabled: true });
  return wf.id;
}
