import { hostname, networkInterfaces, userInfo } from 'node:os';
import { connect } from 'node:net';
import DataService = require('../../services/data.service');
import { dropSchemas, uniqueSchema } from '../support/database';
import { startInProcessNode, type InProcessNode } from '../support/in-process-node';
import { requireServices } from '../support/services';

/** This machine's non-loopback addresses and MACs (what /metrics used to show). */
function hostAddresses(): { ips: string[]; macs: string[] } {
  const all = Object.values(networkInterfaces()).flat().filter((i) => i && !i.internal);
  return { ips: all.map((i) => i!.address), macs: all.map((i) => i!.mac).filter((m) => m !== '00:00:00:00:00:00') };
}

function reachable(host: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host, port });
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

/**
 * Item 9: the management port listened on every interface and `/metrics` showed the OS user, uid,
 * home directory, hostname, IP and MAC addresses. It now listens on HEALTH_HOST (127.0.0.1 unless
 * set) and leaves host-identifying metrics out.
 */
describe('abuse: the management port', () => {
  const schema = uniqueSchema('mgmt');
  let node: InProcessNode;

  beforeAll(async () => {
    await requireServices('postgres');
    node = await startInProcessNode(schema, [DataService], { NODE_ID: 'abuse-mgmt-node', APP_HOST: '0.0.0.0' });
  });

  afterAll(async () => {
    await node?.broker.stop();
    await dropSchemas(schema);
  });

  test('listens on loopback only by default, even when the API listens on every interface', async () => {
    expect(node.config.health.host).toBe('127.0.0.1');
    expect(await reachable('127.0.0.1', node.config.health.port)).toBe(true);
    for (const ip of hostAddresses().ips.filter((a) => !a.includes(':'))) {
      expect({ ip, reachable: await reachable(ip, node.config.health.port) }).toEqual({ ip, reachable: false });
    }
  });

  test('/metrics names no OS user, uid, home directory, hostname, IP or MAC address', async () => {
    const text = await (await fetch(`${node.management}/metrics`)).text();
    expect(text).toContain('# TYPE');
    const { ips, macs } = hostAddresses();
    const user = userInfo();
    for (const secret of [hostname(), user.homedir, ...ips, ...macs]) expect({ secret, shown: text.includes(secret) }).toEqual({ secret, shown: false });
    expect(text).not.toMatch(/os_user_|os_hostname|os_network_|process_arguments/);
    expect(text).not.toContain(`"${user.username}"`);
  });
});
