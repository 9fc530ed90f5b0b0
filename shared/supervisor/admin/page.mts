/**
 * The supervisor's /admin page: environments (status, version, last heartbeat) and apps (status per
 * environment) with create/start/stop, polling the supervisor's REST actions. Bundled by esbuild into
 * dist/shared/supervisor/admin/page.js at build time; no framework.
 */

interface Env {
  name: string;
  version: string;
  url: string;
  proxyUrl: string | null;
  lastHeartbeat: number;
  available: boolean;
}
interface App {
  name: string;
  displayName: string;
  environments: string[];
  desired: string;
  statuses: Record<string, { status: string; error: string | null }>;
}

const TOKEN = 'cb-supervisor-token';
const refreshMs = Number(new URLSearchParams(location.search).get('refresh')) || 1000;
const root = document.getElementById('root')!;
let busy = false;
let availability = new Map<string, boolean>();

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
    throw new Error('signed out');
  }
  if (!res.ok) throw new Error(json.errors?.[0]?.message ?? `HTTP ${res.status}`);
  return json.data as T;
}

function showError(message: string): void {
  const box = document.getElementById('error');
  if (box) box.textContent = message;
}

function badge(text: string): HTMLSpanElement {
  const kind = ['running', 'available'].includes(text) ? 'ok' : ['error', 'unavailable', 'not_found'].includes(text) ? 'bad' : text === 'stopped' ? 'off' : 'mid';
  return el('span', { class: `badge ${kind}` }, text);
}

function ago(ms: number): string {
  const s = Math.max(0, Math.round((Date.now() - ms) / 1000));
  return s < 60 ? `${s}s ago` : s < 3600 ? `${Math.round(s / 60)}m ago` : new Date(ms).toLocaleString();
}

function signInForm(): void {
  const account = el('input', { name: 'account', placeholder: 'username or email', value: 'nocobase' });
  const password = el('input', { name: 'password', type: 'password', placeholder: 'password' });
  const form = el('form', { id: 'sign-in' }, account, password, el('button', { type: 'submit' }, 'Sign in'));
  form.addEventListener('submit', (e) => {
    e.preventDefault();
    void api<{ token: string }>('POST', 'auth:signIn', { account: account.value, password: password.value })
      .then((d) => {
        sessionStorage.setItem(TOKEN, d.token);
        layout();
      })
      .catch((err: Error) => showError(err.message));
  });
  root.replaceChildren(el('section', {}, el('h2', {}, 'Sign in'), form, el('p', { id: 'error' })));
}

async function act(work: () => Promise<unknown>): Promise<void> {
  busy = true;
  showError('');
  try {
    await work();
  } catch (err) {
    showError((err as Error).message);
  } finally {
    busy = false;
    await refresh();
  }
}

function layout(): void {
  if (!sessionStorage.getItem(TOKEN)) return signInForm();
  const name = el('input', { name: 'name', placeholder: 'name (e.g. shop)', required: '' });
  const display = el('input', { name: 'displayName', placeholder: 'display name' });
  const envs = el('input', { name: 'environments', placeholder: 'environments (comma-separated)' });
  const create = el('form', { id: 'create-app' }, name, display, envs, el('button', { type: 'submit' }, 'Create'));
  create.addEventListener('submit', (e) => {
    e.preventDefault();
    const environments = envs.value.split(',').map((s) => s.trim()).filter(Boolean);
    void act(async () => {
      await api('POST', 'applications:create', { name: name.value.trim(), displayName: display.value.trim() || undefined, ...(environments.length ? { environments } : {}) });
      create.reset();
    });
  });
  root.replaceChildren(
    el('section', {}, el('h2', {}, 'Environments'), el('table', { id: 'environments' })),
    el('section', {}, el('h2', {}, 'Applications'), create, el('p', { id: 'error' }), el('table', { id: 'apps' })),
  );
  void refresh();
}

function renderEnvironments(list: Env[]): void {
  const table = document.getElementById('environments');
  if (!table) return;
  const head = el('tr', {}, ...['Name', 'Status', 'Version', 'URL', 'Last heartbeat'].map((h) => el('th', {}, h)));
  const rows = list.map((e) =>
    el('tr', { 'data-env': e.name }, el('td', {}, e.name), el('td', { class: 'status' }, badge(e.available ? 'available' : 'unavailable')), el('td', {}, e.version), el('td', {}, e.proxyUrl ?? e.url), el('td', {}, ago(e.lastHeartbeat))),
  );
  table.replaceChildren(head, ...(rows.length ? rows : [el('tr', {}, el('td', { colspan: '5' }, 'No environment registered'))]));
}

function renderApps(list: App[]): void {
  const table = document.getElementById('apps');
  if (!table) return;
  const head = el('tr', {}, ...['Name', 'Display name', 'Status per environment', ''].map((h) => el('th', {}, h)));
  const rows = list.map((a) => {
    const statuses = el('td', { class: 'statuses' }, ...a.environments.map((env) => {
      const s = a.statuses[env];
      const b = badge(s?.status ?? 'not_found');
      b.setAttribute('data-status-env', env);
      b.title = s?.error ?? '';
      // The recorded status is the last one the environment reported; say so when it went silent.
      const down = availability.get(env) === false ? [badge('unavailable')] : [];
      return el('span', {}, `${env}: `, b, ...down, ' ');
    }));
    const start = el('button', { 'data-action': 'start' }, 'Start');
    const stop = el('button', { 'data-action': 'stop' }, 'Stop');
    start.addEventListener('click', () => void act(() => api('POST', `applications:start?filterByTk=${encodeURIComponent(a.name)}`)));
    stop.addEventListener('click', () => void act(() => api('POST', `applications:stop?filterByTk=${encodeURIComponent(a.name)}`)));
    return el('tr', { 'data-app': a.name }, el('td', {}, el('a', { href: `/apps/${a.name}/api/app:getInfo` }, a.name)), el('td', {}, a.displayName), statuses, el('td', {}, start, ' ', stop));
  });
  table.replaceChildren(head, ...(rows.length ? rows : [el('tr', {}, el('td', { colspan: '4' }, 'No application yet'))]));
}

async function refresh(): Promise<void> {
  if (!sessionStorage.getItem(TOKEN) || busy) return;
  try {
    const [envs, apps] = await Promise.all([api<Env[]>('GET', 'environments:list'), api<App[]>('GET', 'applications:list')]);
    availability = new Map(envs.map((e) => [e.name, e.available]));
    renderEnvironments(envs);
    renderApps(apps);
    document.body.setAttribute('data-refreshed', String(Date.now()));
  } catch (err) {
    if (!sessionStorage.getItem(TOKEN)) return signInForm();
    showError((err as Error).message);
  }
}

layout();
setInterval(() => void refresh(), refreshMs);
