import { execFile } from 'node:child_process';
import { promisify } from 'node:util';

const run = promisify(execFile);

/** The machine's rabbitmqctl, for what AMQP does not show (queue types, arguments) or do (close a client). */
export async function rabbitmqctl(...args: string[]): Promise<string> {
  const { stdout } = await run('rabbitmqctl', ['-q', ...args], { timeout: 60_000 });
  return stdout;
}

export interface QueueInfo {
  readonly name: string;
  readonly type: string;
  readonly arguments: Record<string, unknown>;
}

export async function queueInfo(name: string): Promise<QueueInfo | undefined> {
  const list = JSON.parse(await rabbitmqctl('list_queues', 'name', 'type', 'arguments', '--formatter', 'json')) as Array<{
    name: string;
    type: string;
    arguments: Array<[string, string, unknown]>;
  }>;
  const q = list.find((entry) => entry.name === name);
  return q && { name: q.name, type: q.type, arguments: Object.fromEntries(q.arguments.map(([key, , value]) => [key, value])) };
}

/**
 * Closes, broker side, every connection whose client named itself `connectionName`. Returns how many.
 * The table output is used because it prints pids in the form close_connection accepts.
 */
export async function closeConnectionsNamed(connectionName: string): Promise<number> {
  const rows = (await rabbitmqctl('list_connections', '--no-table-headers', 'pid', 'client_properties')).split('\n');
  const pids = rows.filter((row) => row.includes(`"${connectionName}"`)).map((row) => row.split('\t')[0] as string);
  for (const pid of pids) await rabbitmqctl('close_connection', pid, 'test: connection cut');
  return pids.length;
}
