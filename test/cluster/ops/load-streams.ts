import { randomUUID } from 'node:crypto';
import type { Json } from '../../support/http';

/**
 * Steady traffic for cluster tests: each stream runs until stopped and reports what it saw. A new kind
 * of traffic (workflow executions, issue 5) is one more LoadStream in the same run.
 */
export interface LoadStream<R = unknown> {
  readonly name: string;
  /** Stops sending and resolves once every request in flight has its final answer. */
  stop(): Promise<R>;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export interface GetReport {
  readonly ok: number;
  readonly failures: string[];
}

/** `workers` loops of GET `<path>` through nginx; anything but a 200 (a network error included) is a failure. */
export function steadyGets(base: string, path: string, token: string, workers = 3): LoadStream<GetReport> {
  let running = true;
  let ok = 0;
  const failures: string[] = [];
  const loop = async () => {
    while (running) {
      try {
        const res = await fetch(`${base}${path}`, { headers: { authorization: `Bearer ${token}` } });
        const text = await res.text();
        if (res.status === 200) ok++;
        else failures.push(`${res.status} ${text.slice(0, 200)}`);
      } catch (err) {
        failures.push(`network: ${(err as Error).message} ${String((err as { cause?: unknown }).cause ?? '')}`);
      }
    }
  };
  const loops = Array.from({ length: workers }, loop);
  return {
    name: `GET ${path}`,
    async stop() {
      running = false;
      await Promise.all(loops);
      return { ok, failures };
    },
  };
}

export interface PostReport {
  /** The unique `ref` of every create that got its 200 (each must exist exactly once). */
  readonly acknowledged: string[];
  /** Creates that never got a 200 (must be none). */
  readonly failures: string[];
  /** Attempts answered by no answer or a 502/503/504 and sent again with the same Idempotency-Key. */
  readonly retries: number;
  /** The longest time from a create's first attempt to its 200, in ms. */
  readonly longestAckMs: number;
}

export interface CreateOptions {
  /** Concurrent loops (default 2). */
  readonly workers?: number;
  /** A create gives up (a failure) after this long without a definite answer; default: after 200 attempts. */
  readonly giveUpAfterMs?: number;
  /** Pause after each acknowledged create, in ms (default 0). */
  readonly pauseMs?: number;
}

export interface KeyedCreate {
  /** 200: acknowledged; otherwise why it gave up. */
  readonly ok: boolean;
  readonly failure?: string;
  /** Attempts sent again with the same key. */
  readonly retries: number;
  /** From the first attempt to the definite answer. */
  readonly ms: number;
}

/**
 * One POST `<collection>:create` of `{ ref }` as a careful client sends it: with a fresh Idempotency-Key,
 * sent again with the same key after no answer or a 502/503/504, until a definite answer (or it gives up).
 */
export async function keyedCreate(base: string, collection: string, token: string, ref: string, giveUpAfterMs?: number): Promise<KeyedCreate> {
  const key = randomUUID();
  const started = Date.now();
  let last = 'no answer';
  let retries = 0;
  for (let attempt = 1; giveUpAfterMs === undefined ? attempt <= 200 : Date.now() - started < giveUpAfterMs; attempt++) {
    try {
      const res = await fetch(`${base}/api/${collection}:create`, {
        method: 'POST',
        headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json', 'idempotency-key': key },
        body: JSON.stringify({ ref }),
      });
      const text = await res.text();
      if (res.status === 200) return { ok: true, retries, ms: Date.now() - started };
      if (![502, 503, 504].includes(res.status)) return { ok: false, failure: `${ref}: ${res.status} ${text.slice(0, 200)}`, retries, ms: Date.now() - started };
      last = `${res.status} ${text.slice(0, 200)}`;
    } catch {
      // no answer: the write may or may not have happened; the key makes the retry safe
    }
    retries++;
    await sleep(50);
  }
  const limit = giveUpAfterMs === undefined ? '200 attempts' : `${giveUpAfterMs} ms`;
  return { ok: false, failure: `${ref}: no definite answer after ${limit} (last: ${last})`, retries, ms: Date.now() - started };
}

/** `workers` loops of keyedCreate with a fresh `ref` each, until stopped. */
export function idempotentCreates(base: string, collection: string, token: string, options: number | CreateOptions = 2): LoadStream<PostReport> {
  const { workers = 2, giveUpAfterMs, pauseMs = 0 } = typeof options === 'number' ? { workers: options } : options;
  let running = true;
  let retries = 0;
  let longestAckMs = 0;
  const acknowledged: string[] = [];
  const failures: string[] = [];
  const loop = async (worker: number) => {
    for (let i = 0; running; i++) {
      const ref = `w${worker}-${i}-${randomUUID().slice(0, 8)}`;
      const done = await keyedCreate(base, collection, token, ref, giveUpAfterMs);
      retries += done.retries;
      if (done.ok) {
        acknowledged.push(ref);
        longestAckMs = Math.max(longestAckMs, done.ms);
      } else {
        failures.push(done.failure!);
      }
      if (pauseMs > 0) await sleep(pauseMs);
    }
  };
  const loops = Array.from({ length: workers }, (_, w) => loop(w));
  return {
    name: `POST ${collection}:create`,
    async stop() {
      running = false;
      await Promise.all(loops);
      return { acknowledged, failures, retries, longestAckMs };
    },
  };
}

/** One JSON call through nginx as the signed-in user; anything but a 200 throws with the answer. */
async function api<T = Json>(base: string, token: string, method: string, path: string, body?: unknown): Promise<T> {
  const res = await fetch(`${base}/api/${path}`, {
    method,
    headers: { authorization: `Bearer ${token}`, ...(body !== undefined ? { 'content-type': 'application/json' } : {}) },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  if (res.status !== 200) throw new Error(`${method} ${path}: ${res.status} ${text.slice(0, 300)}`);
  return (text ? JSON.parse(text) : {}) as T;
}

/** The workflow a `workflowExecutions` stream watches: which collection it fires on and where its effects go. */
/**
 * SQL counting executions in progress in `schema`: STARTED ones (committed mid-way), plus open
 * transactions holding locks on the executions table (a run of database-only steps commits once, claim
 * included, so an execution inside such a step batch still reads as queued from outside). A fault
 * applied while this is above zero interrupts work mid-way.
 */
export function executionsInProgressSql(schema: string): string {
  const table = `'"${schema.replace(/"/g, '""')}"."executions"'::regclass`;
  return `select (select count(*) from "${schema.replace(/"/g, '""')}"."executions" where "status" = 0)::int
       + (select count(distinct l.pid) from pg_locks l join pg_stat_activity a on a.pid = l.pid
           where l.relation = ${table} and a.state like 'idle in transaction%' and a.pid <> pg_backend_pid())::int as n`;
}

export interface EffectWorkflow {
  readonly id: number;
  readonly source: string;
  readonly effects: string;
}

/**
 * Creates (through the API, as the signed-in admin) and enables a collection-triggered workflow: on
 * create of a `source` record (which has a string `ref`), a create node writes one row into `effects`
 * keyed by the source record's id (`sourceId`, `ref`), a calculation node (formula.js) computes the
 * ref's length, and an update node writes that length into the same effect row. Three committed steps
 * per execution, so a restart of the workflow node lands between steps of some of them; `markDone`
 * adds a fourth (an update setting the row's `done`).
 */
export async function createEffectWorkflow(base: string, token: string, source: string, effects: string, options: { markDone?: boolean } = {}): Promise<EffectWorkflow> {
  await api(base, token, 'POST', 'collections:create', {
    name: effects,
    fields: [
      { name: 'sourceId', type: 'bigInt' },
      { name: 'ref', type: 'string' },
      { name: 'refLength', type: 'integer' },
      ...(options.markDone ? [{ name: 'done', type: 'boolean' }] : []),
    ],
  });
  const wf = (await api(base, token, 'POST', 'workflows:create', { title: `${source} effects`, type: 'collection', config: { mode: 1, collection: source } })).data;
  const add = async (node: Record<string, unknown>) => (await api(base, token, 'POST', `workflows/${wf.id}/nodes:create`, node)).data;
  const create = await add({ type: 'create', upstreamId: null, config: { collection: effects, params: { values: { sourceId: '{{$context.data.id}}', ref: '{{$context.data.ref}}' } } } });
  const calc = await add({ type: 'calculation', upstreamId: create.id, config: { engine: 'formula.js', expression: 'LEN({{$context.data.ref}})' } });
  const update = await add({
    type: 'update',
    upstreamId: calc.id,
    config: { collection: effects, params: { filter: { id: { $eq: `{{$jobsMapByNodeKey.${create.key}.id}}` } }, values: { refLength: `{{$jobsMapByNodeKey.${calc.key}}}` } } },
  });
  if (options.markDone) {
    await add({
      type: 'update',
      upstreamId: update.id,
      config: { collection: effects, params: { filter: { id: { $eq: `{{$jobsMapByNodeKey.${create.key}.id}}` } }, values: { done: true } } },
    });
  }
  await api(base, token, 'POST', `workflows:update?filterByTk=${wf.id}`, { enabled: true });
  return { id: Number(wf.id), source, effects };
}

export interface ExecutionSeen {
  readonly id: number;
  readonly status: number | null;
  /** The triggering record (the execution's `context.data`). */
  readonly sourceId: string;
  readonly ref: string;
}

export interface EffectSeen {
  readonly sourceId: string;
  readonly ref: string;
  readonly refLength: number | null;
}

export interface WorkflowReport {
  /** Every execution of the workflow created since the stream started (ids above the last one before). */
  readonly executions: ExecutionSeen[];
  /** Every row of the effects collection (of this and earlier streams on the same workflow). */
  readonly effects: EffectSeen[];
  /** executions:list polls until none was QUEUEING (null) or STARTED (0). */
  readonly polls: number;
  /** Milliseconds from stop() to the last execution settled. */
  readonly settleMs: number;
}

const UNFINISHED = JSON.stringify({ status: { $notIn: [1, -1, -2, -3, -4, -5, -6] } }); // `$notIn` also matches NULL (QUEUEING)

/**
 * A stream of workflow executions: the records another stream creates in `wf.source` trigger them.
 * stop() (call it after the creating stream has stopped) polls `executions:list` through nginx until
 * no execution of the workflow is QUEUEING or STARTED, then reports the executions that started after
 * the stream did and the effect rows of their records.
 */
export async function workflowExecutions(base: string, token: string, wf: EffectWorkflow): Promise<LoadStream<WorkflowReport>> {
  const list = async (filter: Record<string, unknown> | string, extra = '') =>
    api<{ data: Json[]; meta?: { count: number } }>(base, token, 'GET', `executions:list?filter=${encodeURIComponent(typeof filter === 'string' ? filter : JSON.stringify(filter))}${extra}`);
  const before = (await list({ workflowId: wf.id }, '&sort=-id&pageSize=1')).data[0];
  const afterId = before ? Number(before.id) : 0;
  return {
    name: `workflow ${wf.id} executions (${wf.source} → ${wf.effects})`,
    async stop() {
      const started = Date.now();
      let polls = 0;
      for (;;) {
        polls++;
        const unfinished = JSON.stringify({ $and: [{ workflowId: wf.id }, { id: { $gt: afterId } }, JSON.parse(UNFINISHED)] });
        const { meta } = await list(unfinished, '&pageSize=1');
        if (meta!.count === 0) break;
        await sleep(250);
      }
      const settleMs = Date.now() - started;
      const rows = (await list({ $and: [{ workflowId: wf.id }, { id: { $gt: afterId } }] }, '&paginate=false&sort=id&fields=id,status,context')).data;
      const executions = rows.map((e) => ({ id: Number(e.id), status: e.status ?? null, sourceId: String(e.context?.data?.id), ref: String(e.context?.data?.ref) }));
      // The effects collection is written by this workflow only: all of its rows, matched by ref by the caller.
      const effects = (await api<{ data: Json[] }>(base, token, 'GET', `${wf.effects}:list?paginate=false&sort=id`)).data.map((r) => ({
        sourceId: String(r.sourceId),
        ref: String(r.ref),
        refLength: r.refLength ?? null,
      }));
      return { executions, effects, polls, settleMs };
    },
  };
}
