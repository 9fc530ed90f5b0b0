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
}

/**
 * `workers` loops of POST `<collection>:create` with a fresh `ref` and Idempotency-Key each. A client
 * as the architecture asks for: when no answer or a 502/503/504 arrives, the same request is sent
 * again with the same key, until a definite answer.
 */
export function idempotentCreates(base: string, collection: string, token: string, workers = 2): LoadStream<PostReport> {
  let running = true;
  let retries = 0;
  const acknowledged: string[] = [];
  const failures: string[] = [];
  const createOnce = async (ref: string) => {
    const key = randomUUID();
    for (let attempt = 1; attempt <= 200; attempt++) {
      try {
        const res = await fetch(`${base}/api/${collection}:create`, {
          method: 'POST',
          headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json', 'idempotency-key': key },
          body: JSON.stringify({ ref }),
        });
        const text = await res.text();
        if (res.status === 200) return acknowledged.push(ref);
        if (![502, 503, 504].includes(res.status)) return failures.push(`${ref}: ${res.status} ${text.slice(0, 200)}`);
      } catch {
        // no answer: the write may or may not have happened; the key makes the retry safe
      }
      retries++;
      await sleep(50);
    }
    return failures.push(`${ref}: no definite answer after 200 attempts`);
  };
  const loop = async (worker: number) => {
    for (let i = 0; running; i++) await createOnce(`w${worker}-${i}-${randomUUID().slice(0, 8)}`);
  };
  const loops = Array.from({ length: workers }, (_, w) => loop(w));
  return {
    name: `POST ${collection}:create`,
    async stop() {
      running = false;
      await Promise.all(loops);
      return { acknowledged, failures, retries };
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
 * per execution, so a restart of the workflow node lands between steps of some of them.
 */
export async function createEffectWorkflow(base: string, token: string, source: string, effects: string): Promise<EffectWorkflow> {
  await api(base, token, 'POST', 'collections:create', {
    name: effects,
    fields: [
      { name: 'sourceId', type: 'bigInt' },
      { name: 'ref', type: 'string' },
      { name: 'refLength', type: 'integer' },
    ],
  });
  const wf = (await api(base, token, 'POST', 'workflows:create', { title: `${source} effects`, type: 'collection', config: { mode: 1, collection: source } })).data;
  const add = async (node: Record<string, unknown>) => (await api(base, token, 'POST', `workflows/${wf.id}/nodes:create`, node)).data;
  const create = await add({ type: 'create', upstreamId: null, config: { collection: effects, params: { values: { sourceId: '{{$context.data.id}}', ref: '{{$context.data.ref}}' } } } });
  const calc = await add({ type: 'calculation', upstreamId: create.id, config: { engine: 'formula.js', expression: 'LEN({{$context.data.ref}})' } });
  await add({
    type: 'update',
    upstreamId: calc.id,
    config: { collection: effects, params: { filter: { id: { $eq: `{{$jobsMapByNodeKey.${create.key}.id}}` } }, values: { refLength: `{{$jobsMapByNodeKey.${calc.key}}}` } } },
  });
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
