/**
 * The cluster console page (/admin/cluster): every node as a card grouped by role, the queues, locks,
 * running work and dead letters of the whole cluster, with drain/undrain per node and requeue/discard
 * per dead letter. Polls the `cluster:*` actions (?refresh=ms, default 2000); the queue table follows
 * /admin/cluster/events (Server-Sent Events, read with fetch so the token goes in a header). Bundled by esbuild into
 * dist/shared/cluster-console/page/page.js; no framework. The token stays in sessionStorage.
 */

interface Check { ok: boolean; error?: string }
interface NodeReport {
  nodeId: string; host: string; version: string; workerMode: string; serves: string[]; status: string; drained: boolean; uptimeSec: number;
  checks: Record<string, Check>; workerId: { id: number | null; healthy: boolean; leaseAgeMs: number | null };
  eventLoopLagMs: number; rssBytes: number; inFlight: { requests: number; executions: number; tasks: number };
}
interface Unreachable { nodeId: string; error: string }
interface Queue { channel: string; waiting: number; oldestWaitingMs: number | null; delayed: number; inFlight: number; deadLettered: number; consumers: Record<string, number> }
interface Lock { key: string; holder: string | null; fence: number; expiresInMs: number }
interface Work { nodeId: string; kind: string; app: string | null; id: string; channel: string; attempt: number; runningMs: number }
interface DeadLetter { id: string; channel: string; error: string; attempts: number; failedAt: number }

const TOKEN = 'cb-cluster-token';
const refreshMs = Number(new URLSearchParams(location.search).get('refresh')) || 2000;
const root = document.getElementById('root')!;
let timer: number | undefined;
let queues: Queue[] = [];
let stream: AbortController | null = null;

function el<K extends keyof HTMLElementTagNameMap>(tag: K, attrs: Record<string, string> = {}, ...children: Array<Node | string>): HTMLElementTagNameMap[K] {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) node.setAttribute(k, v);
  node.append(...children);
  return node;
}

async function api<T>(method: string, path: string, body?: unknown): Promise<T> {
  const token = sessionStorage.getItem(TOKEN);
  const res = await fetch(`/api/${path}`, {
    method,
    headers: { ...(body === undefined ? {} : { 'content-type': 'application/json' }), ...(token ? { authorization: `Bearer ${token}` } : {}) },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const json = (await res.json()) as { data?: T; errors?: Array<{ message: string }> };
  if (res.status === 401 && token) {
    sessionStorage.removeItem(TOKEN);
    signInForm();
    throw new Error('signed out');
  }
  if (!res.ok) throw new Error(json.errors?.[0]?.message ?? `HTTP ${res.status}`);
  return json.data as T;
}

const showError = (message: string) => {
  const box = document.getElementById('error');
  if (box) box.textContent = message;
};

function badge(text: string): HTMLSpanElement {
  const kind = text === 'ready' ? 'ok' : text === 'drained' || text === 'draining' ? 'mid' : text === 'unreachable' || text === 'not ready' ? 'bad' : 'off';
  return el('span', { class: `badge ${kind}` }, text);
}

const ms = (v: number | null) => (v === null ? '-' : v < 1000 ? `${Math.round(v)}ms` : v < 120_000 ? `${Math.round(v / 1000)}s` : `${Math.round(v / 60_000)}m`);
const cell = (v: unknown) => el('td', {}, v === null || v === undefined ? '-' : String(v));

function table(id: string, headers: string[], rows: HTMLTableRowElement[], empty: string): HTMLElement {
  if (rows.length === 0) return el('p', { id, class: 'small' }, empty);
  return el('table', { id }, el('thead', {}, el('tr', {}, ...headers.map((h) => el('th', {}, h)))), el('tbody', {}, ...rows));
}

function button(label: string, action: () => Promise<unknown>, attrs: Record<string, string> = {}): HTMLButtonElement {
  const b = el('button', { type: 'button', ...attrs }, label);
  b.addEventListener('click', () => {
    b.disabled = true;
    void action()
      .then(() => refresh())
      .catch((err: Error) => showError(err.message))
      .finally(() => (b.disabled = false));
  });
  return b;
}

const roleOf = (n: NodeReport) => (n.serves.length === 0 ? 'utility' : n.serves.map((s) => (s === '!' ? 'requests' : s)).join(' + '));

function nodeCard(n: NodeReport): HTMLElement {
  const failing = Object.entries(n.checks).filter(([, c]) => !c.ok);
  const toggle = n.drained
    ? button('Undrain', () => api('POST', 'cluster:undrain', { node: n.nodeId }), { 'data-undrain': n.nodeId })
    : button('Drain', () => api('POST', 'cluster:drain', { node: n.nodeId }), { 'data-drain': n.nodeId });
  return el(
    'div',
    { class: 'card', 'data-node': n.nodeId, 'data-status': n.status },
    el('strong', {}, n.nodeId), ' ', badge(n.status),
    el(
      'dl', {},
      el('dt', {}, 'host'), el('dd', {}, n.host),
      el('dt', {}, 'worker ID'), el('dd', {}, `${n.workerId.id ?? 'none'}${n.workerId.healthy ? '' : ' (lost)'} · ${ms(n.workerId.leaseAgeMs)}`),
      el('dt', {}, 'uptime'), el('dd', {}, ms(n.uptimeSec * 1000)),
      el('dt', {}, 'lag / rss'), el('dd', {}, `${n.eventLoopLagMs}ms / ${Math.round(n.rssBytes / 1048576)}M`),
      el('dt', {}, 'running'), el('dd', {}, `${n.inFlight.requests} req · ${n.inFlight.executions} exec · ${n.inFlight.tasks} tasks`),
    ),
    ...failing.map(([name, c]) => el('div', { class: 'small' }, `${name}: ${c.error ?? 'failed'}`)),
    toggle,
  );
}

function nodesSection(nodes: NodeReport[], unreachable: Unreachable[]): HTMLElement {
  const roles = new Map<string, NodeReport[]>();
  for (const n of nodes) roles.set(roleOf(n), [...(roles.get(roleOf(n)) ?? []), n]);
  const groups = [...roles].sort(([a], [b]) => a.localeCompare(b)).map(([role, list]) => el('div', { 'data-role': role }, el('h3', {}, role), el('div', { class: 'cards' }, ...list.map(nodeCard))));
  const lost = unreachable.map((u) => el('div', { class: 'card', 'data-node': u.nodeId, 'data-status': 'unreachable' }, el('strong', {}, u.nodeId), ' ', badge('unreachable'), el('div', { class: 'small' }, u.error)));
  return el('section', { id: 'nodes' }, el('h2', {}, `Nodes (${nodes.length + unreachable.length})`), ...groups, ...(lost.length ? [el('h3', {}, 'unreachable'), el('div', { class: 'cards' }, ...lost)] : []));
}

const section = (title: string, body: HTMLElement) => el('section', {}, el('h2', {}, title), body);

function queuesSection(queues: Queue[]): HTMLElement {
  const rows = queues.map((x) => {
    const consumers = Object.entries(x.consumers).map(([node, c]) => `${node}=${c}`).join(' ');
    return el('tr', { 'data-channel': x.channel }, cell(x.channel), el('td', { 'data-waiting': '' }, String(x.waiting)), cell(x.oldestWaitingMs === null ? '?' : ms(x.oldestWaitingMs)), cell(x.delayed), cell(x.inFlight), cell(x.deadLettered), cell(consumers));
  });
  return el('section', { id: 'queues-section' }, el('h2', {}, 'Queues'), table('queues', ['channel', 'waiting', 'oldest', 'delayed', 'in flight', 'dead letters', 'consumers'], rows, 'No queue channels yet.'));
}

function runningSection(running: Work[]): HTMLElement {
  const rows = running.map((x) => el('tr', {}, cell(x.nodeId), cell(x.kind), cell(x.app), cell(x.id), cell(x.channel), cell(x.attempt), cell(ms(x.runningMs))));
  return section('Running', table('running', ['node', 'kind', 'app', 'id', 'channel', 'attempt', 'running for'], rows, 'Nothing running.'));
}

function locksSection(locks: Lock[]): HTMLElement {
  const rows = locks.map((x) => el('tr', {}, cell(x.key), cell(x.holder ?? '?'), cell(x.fence), cell(ms(x.expiresInMs))));
  return section('Locks', table('locks', ['key', 'holder', 'fence', 'expires in'], rows, 'No locks held.'));
}

function deadLettersSection(dead: DeadLetter[]): HTMLElement {
  const rows = dead.map((x) => {
    const actions = el(
      'td', {},
      button('Requeue', () => api('POST', 'cluster:requeueDeadLetters', { ids: [x.id] }), { 'data-requeue': x.id }),
      button('Discard', () => api('POST', 'cluster:discardDeadLetters', { ids: [x.id] }), { 'data-discard': x.id }),
    );
    return el('tr', { 'data-dead': x.id }, cell(x.id), cell(x.attempts), cell(x.failedAt ? new Date(x.failedAt).toLocaleString() : '-'), cell(x.error), actions);
  });
  return section('Dead letters', table('dead-letters', ['id', 'attempts', 'failed', 'error', ''], rows, 'No dead letters.'));
}

async function refresh(): Promise<void> {
  window.clearTimeout(timer);
  try {
    const [n, l, w, d] = await Promise.all([
      api<{ nodes: NodeReport[]; unreachable: Unreachable[] }>('GET', 'cluster:nodes'),
      api<{ locks: Lock[] }>('GET', 'cluster:locks'),
      api<{ running: Work[] }>('GET', 'cluster:executions'),
      api<{ deadLetters: DeadLetter[] }>('GET', 'cluster:deadLetters'),
    ]);
    const degraded = n.unreachable.length > 0 || n.nodes.some((x) => x.status === 'not ready');
    document.getElementById('summary')!.replaceChildren(badge(degraded ? 'not ready' : 'ready'), `${n.nodes.length} node(s) answering`);
    root.replaceChildren(el('p', { id: 'error' }), nodesSection(n.nodes, n.unreachable), queuesSection(queues), runningSection(w.running), locksSection(l.locks), deadLettersSection(d.deadLetters));
  } catch (err) {
    showError((err as Error).message);
  }
  if (sessionStorage.getItem(TOKEN)) timer = window.setTimeout(() => void refresh(), refreshMs);
}

/** One SSE message (`event:` and `data:` lines). */
function onEvent(chunk: string): void {
  const name = /^event: (.*)$/m.exec(chunk)?.[1];
  const data = /^data: (.*)$/m.exec(chunk)?.[1];
  if (!name || data === undefined) return;
  const body = JSON.parse(data) as { queues?: Queue[]; message?: string };
  if (name === 'error') return showError(body.message ?? 'the queue stream failed');
  queues = body.queues ?? [];
  document.getElementById('queues-section')?.replaceWith(queuesSection(queues));
}

/** Follows the live queue table while signed in; reconnects after a pause when the stream ends. */
async function followQueues(): Promise<void> {
  stream?.abort();
  const controller = new AbortController();
  stream = controller;
  try {
    const res = await fetch(`/admin/cluster/events?interval=${refreshMs}`, { headers: { authorization: `Bearer ${sessionStorage.getItem(TOKEN) ?? ''}` }, signal: controller.signal });
    const reader = res.body!.pipeThrough(new TextDecoderStream()).getReader();
    let buffered = '';
    for (;;) {
      const { value, done } = await reader.read();
      if (done) break;
      buffered += value;
      for (let end = buffered.indexOf('\n\n'); end >= 0; end = buffered.indexOf('\n\n')) {
        onEvent(buffered.slice(0, end));
        buffered = buffered.slice(end + 2);
      }
    }
  } catch {
    // aborted or dropped: retried below
  }
  if (stream === controller && sessionStorage.getItem(TOKEN)) window.setTimeout(() => void followQueues(), refreshMs);
}

function start(): void {
  void followQueues();
  void refresh();
}

function signInForm(): void {
  window.clearTimeout(timer);
  stream?.abort();
  stream = null;
  const account = el('input', { name: 'account', placeholder: 'username or email', value: 'nocobase' });
  const password = el('input', { name: 'password', type: 'password', placeholder: 'password' });
  const form = el('form', { id: 'sign-in' }, account, password, el('button', { type: 'submit' }, 'Sign in'));
  form.addEventListener('submit', (e) => {
    e.preventDefault();
    void api<{ token: string }>('POST', 'auth:signIn', { account: account.value, password: password.value })
      .then((d) => {
        sessionStorage.setItem(TOKEN, d.token);
        start();
      })
      .catch((err: Error) => showError(err.message));
  });
  root.replaceChildren(el('section', {}, el('h2', {}, 'Sign in (root or admin)'), form, el('p', { id: 'error' })));
}

if (sessionStorage.getItem(TOKEN)) start();
else signInForm();
