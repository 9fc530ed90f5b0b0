import { degraded } from '../degraded.js';
import type { ClusterAnswer, DeadLetterReport, LockReport, NodeReport, QueueReport, RunningWork, Unreachable } from '../types.js';
import { bytes, duration, table } from './table.js';

export const USAGE = `usage: clusterbase <command> [--json]

commands:
  status                        nodes and queues at a glance; exit 1 when the cluster is degraded
  nodes                         every node: role, status, worker ID, load; exit 1 when degraded
  queues                        per channel: waiting, delayed, in flight, dead letters, consumers per node
  locks                         held locks: key, holder node, fence, time left
  executions                    executions and tasks running now, with their node
  dead-letters                  dead messages with their error
  dead-letters requeue ID...    move dead messages back to their channel
  dead-letters discard ID...    remove dead messages for good
  drain NODE                    NODE stops taking new work and finishes what it has
  undrain NODE                  NODE takes work again

environment:
  CLUSTERBASE_URL    a gateway of the cluster (default http://127.0.0.1:13000)
  CLUSTERBASE_TOKEN  a root or admin user's token (POST /api/auth:signIn)

exit codes: 0 ok, 1 cluster degraded, 2 usage or request error`;

export interface CliIo {
  readonly env: Readonly<Record<string, string | undefined>>;
  readonly fetch: typeof fetch;
  out(text: string): void;
  err(text: string): void;
}

class CliError extends Error {}

/** A request to the gateway's cluster API; answers `data` or throws with the server's message. */
async function request<T>(io: CliIo, method: 'GET' | 'POST', action: string, body?: unknown): Promise<T> {
  const base = (io.env.CLUSTERBASE_URL || 'http://127.0.0.1:13000').replace(/\/+$/, '');
  const token = io.env.CLUSTERBASE_TOKEN;
  let res: Response;
  try {
    res = await io.fetch(`${base}/api/cluster:${action}`, {
      method,
      headers: { ...(token ? { authorization: `Bearer ${token}` } : {}), ...(body !== undefined ? { 'content-type': 'application/json' } : {}) },
      ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
    });
  } catch (err) {
    throw new CliError(`cannot reach ${base}: ${(err as Error & { cause?: Error }).cause?.message ?? (err as Error).message}`);
  }
  const text = await res.text();
  let parsed: { data?: T; errors?: Array<{ message: string }> } = {};
  try {
    parsed = text ? JSON.parse(text) : {};
  } catch {
    // not JSON: reported below
  }
  if (!res.ok) {
    const hint = res.status === 401 ? ' (set CLUSTERBASE_TOKEN to a root or admin token)' : '';
    throw new CliError(`${method} cluster:${action}: ${res.status} ${parsed.errors?.[0]?.message ?? text.slice(0, 200)}${hint}`);
  }
  return parsed.data as T;
}

const unreachableLines = (u: readonly Unreachable[]) => u.map((n) => `unreachable: ${n.nodeId} (${n.error})`);

function nodesTable(nodes: readonly NodeReport[]): string {
  return table(
    ['NODE', 'HOST', 'MODE', 'STATUS', 'WORKER ID', 'LEASE AGE', 'UPTIME', 'LAG', 'RSS', 'REQ', 'EXEC', 'TASKS'],
    nodes.map((n) => [
      n.nodeId, n.host, n.workerMode || '(all)', n.status, n.workerId.id ?? 'none', duration(n.workerId.leaseAgeMs), duration(n.uptimeSec * 1000),
      `${n.eventLoopLagMs}ms`, bytes(n.rssBytes), n.inFlight.requests, n.inFlight.executions, n.inFlight.tasks,
    ]),
  );
}

function queuesTable(queues: readonly QueueReport[]): string {
  return table(
    ['CHANNEL', 'WAITING', 'OLDEST', 'DELAYED', 'IN FLIGHT', 'DEAD', 'CONSUMERS'],
    queues.map((q) => [q.channel, q.waiting, q.oldestWaitingMs === null ? '?' : duration(q.oldestWaitingMs), q.delayed, q.inFlight, q.deadLettered, Object.entries(q.consumers).map(([n, c]) => `${n}=${c}`).join(' ') || '-']),
  );
}

/** Prints the answer (a table, or JSON with --json) and returns the exit code. */
type Command = (io: CliIo, args: string[], json: boolean) => Promise<number>;

const show = (io: CliIo, json: boolean, data: unknown, text: () => string) => io.out(json ? JSON.stringify(data, null, 2) : text());

const COMMANDS: Record<string, Command> = {
  async status(io, _args, json) {
    const [nodes, queues] = await Promise.all([request<ClusterAnswer<'nodes', NodeReport[]>>(io, 'GET', 'nodes'), request<ClusterAnswer<'queues', QueueReport[]>>(io, 'GET', 'queues')]);
    const problems = degraded(nodes.nodes, nodes.unreachable);
    show(io, json, { healthy: problems.length === 0, problems, nodes: nodes.nodes, unreachable: nodes.unreachable, queues: queues.queues }, () =>
      [`cluster: ${problems.length === 0 ? 'ok' : 'DEGRADED'}`, ...problems.map((p) => `  ${p}`), '', nodesTable(nodes.nodes), '', queuesTable(queues.queues)].join('\n'),
    );
    return problems.length === 0 ? 0 : 1;
  },
  async nodes(io, _args, json) {
    const answer = await request<ClusterAnswer<'nodes', NodeReport[]>>(io, 'GET', 'nodes');
    const problems = degraded(answer.nodes, answer.unreachable);
    show(io, json, answer, () => {
      const failing = answer.nodes.flatMap((n) => Object.entries(n.checks).filter(([, c]) => !c.ok).map(([name, c]) => `${n.nodeId}: ${name}: ${c.error ?? 'failed'}`));
      return [nodesTable(answer.nodes), ...failing, ...unreachableLines(answer.unreachable)].join('\n');
    });
    return problems.length === 0 ? 0 : 1;
  },
  async queues(io, _args, json) {
    const answer = await request<ClusterAnswer<'queues', QueueReport[]>>(io, 'GET', 'queues');
    show(io, json, answer, () => [queuesTable(answer.queues), ...unreachableLines(answer.unreachable)].join('\n'));
    return 0;
  },
  async locks(io, _args, json) {
    const answer = await request<ClusterAnswer<'locks', LockReport[]>>(io, 'GET', 'locks');
    show(io, json, answer, () =>
      [table(['KEY', 'HOLDER', 'FENCE', 'EXPIRES IN'], answer.locks.map((l) => [l.key, l.holder ?? '?', l.fence, duration(l.expiresInMs)])), ...unreachableLines(answer.unreachable)].join('\n'),
    );
    return 0;
  },
  async executions(io, _args, json) {
    const answer = await request<ClusterAnswer<'running', RunningWork[]>>(io, 'GET', 'executions');
    show(io, json, answer, () =>
      [
        table(['NODE', 'KIND', 'APP', 'ID', 'CHANNEL', 'ATTEMPT', 'RUNNING'], answer.running.map((w) => [w.nodeId, w.kind, w.app, w.id, w.channel, w.attempt, duration(w.runningMs)])),
        ...unreachableLines(answer.unreachable),
      ].join('\n'),
    );
    return 0;
  },
  async 'dead-letters'(io, args, json) {
    const [sub, ...ids] = args;
    if (sub === 'requeue' || sub === 'discard') {
      if (ids.length === 0) throw new CliError(`dead-letters ${sub} needs at least one ID (as \`clusterbase dead-letters\` lists them)`);
      const answer = await request<{ requeued?: number; discarded?: number }>(io, 'POST', sub === 'requeue' ? 'requeueDeadLetters' : 'discardDeadLetters', { ids });
      const n = answer.requeued ?? answer.discarded ?? 0;
      show(io, json, answer, () => `${sub === 'requeue' ? 'requeued' : 'discarded'} ${n} of ${ids.length}`);
      return n === ids.length ? 0 : 2;
    }
    if (sub !== undefined) throw new CliError(`dead-letters: unknown subcommand "${sub}" (requeue or discard)`);
    const answer = await request<ClusterAnswer<'deadLetters', DeadLetterReport[]>>(io, 'GET', 'deadLetters');
    show(io, json, answer, () =>
      [
        table(['ID', 'ATTEMPTS', 'FAILED AT', 'ERROR'], answer.deadLetters.map((d) => [d.id, d.attempts, d.failedAt ? new Date(d.failedAt).toISOString() : '-', d.error.split('\n')[0]])),
        ...unreachableLines(answer.unreachable),
      ].join('\n'),
    );
    return 0;
  },
  async drain(io, args, json) {
    return drainCommand(io, args, json, 'drain');
  },
  async undrain(io, args, json) {
    return drainCommand(io, args, json, 'undrain');
  },
};

async function drainCommand(io: CliIo, args: string[], json: boolean, action: 'drain' | 'undrain'): Promise<number> {
  if (args.length !== 1) throw new CliError(`${action} needs one NODE (its NODE_ID, as \`clusterbase nodes\` lists it)`);
  const node = await request<NodeReport>(io, 'POST', action, { node: args[0] });
  show(io, json, node, () => `${node.nodeId}: ${node.status}${action === 'drain' ? ` (finishing ${node.inFlight.executions} execution(s), ${node.inFlight.tasks} task(s))` : ''}`);
  return 0;
}

/** `clusterbase <command> [args] [--json]`: answers the exit code. */
export async function runCli(argv: readonly string[], io: CliIo): Promise<number> {
  const json = argv.includes('--json');
  const args = argv.filter((a) => a !== '--json');
  const [name, ...rest] = args;
  if (!name || name === '--help' || name === '-h' || name === 'help') {
    if (name) io.out(USAGE);
    else io.err(USAGE);
    return name ? 0 : 2;
  }
  const command = COMMANDS[name];
  if (!command) {
    io.err(`clusterbase: unknown command "${name}"\n\n${USAGE}`);
    return 2;
  }
  try {
    return await command(io, rest, json);
  } catch (err) {
    if (!(err instanceof CliError)) throw err;
    io.err(`clusterbase: ${err.message}`);
    return 2;
  }
}
