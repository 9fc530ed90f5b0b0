import type { AppRegistry } from '../../../apps';
import { AppHost } from '../../app-host';
import type { AppRecord } from '../../types';

const quiet = { info: () => undefined, warn: () => undefined, error: () => undefined };

const record = (name: string, environments: string[], status: 'running' | 'stopped'): AppRecord => ({
  name,
  displayName: name,
  database: { kind: 'schema', schema: `app_${name}` },
  environments,
  desired: status,
  statuses: Object.fromEntries(environments.map((e) => [e, { status, error: null, startedAt: null, finishedAt: null }])),
  createdAt: '',
  updatedAt: '',
});

/** The part of the AppRegistry the host reports to: which apps run here (background processors follow it). */
const hostedState = () => {
  const hosted = new Set<string>();
  const reported: Pick<AppRegistry, 'markRunning' | 'markStopped'> = { markRunning: (app) => void hosted.add(app), markStopped: (app) => void hosted.delete(app) };
  return { hosted, state: reported as AppRegistry };
};

describe('the app guard of an environment', () => {
  test('serves apps running here, refuses others: unknown 404, other environment 403, not running 503', () => {
    const { hosted, state } = hostedState();
    const host = new AppHost(state, 'env_a', quiet);
    host.setKnown([record('shop', ['env_a'], 'running'), record('blog', ['env_b'], 'running'), record('wiki', ['env_a', 'env_b'], 'stopped')]);
    // Processors on this node follow what runs on its environment: shop only.
    expect([...hosted]).toEqual(['shop']);
    host.setKnown([record('shop', ['env_a'], 'stopped')]);
    expect([...hosted]).toEqual([]);
    host.setKnown([record('shop', ['env_a'], 'running'), record('blog', ['env_b'], 'running'), record('wiki', ['env_a', 'env_b'], 'stopped')]);
    expect(host.guard('shop')).toBeUndefined();
    expect(() => host.guard('nosuch')).toThrow(expect.objectContaining({ code: 404, type: 'CB_ERR_SUPERVISOR_APP_NOT_FOUND' }));
    expect(() => host.guard('blog')).toThrow(expect.objectContaining({ code: 403, type: 'CB_ERR_SUPERVISOR_APP_NOT_HOSTED' }));
    expect(() => host.guard('wiki')).toThrow(expect.objectContaining({ code: 503, type: 'CB_ERR_SUPERVISOR_APP_NOT_RUNNING' }));
  });

  test('an app its view does not serve yet is looked up in the registry once, then judged', async () => {
    const registry = new Map([['fresh', record('fresh', ['env_a'], 'running')], ['other', record('other', ['env_b'], 'running')]]);
    const lookups: string[] = [];
    const host = new AppHost(hostedState().state, 'env_a', quiet, async (app) => {
      lookups.push(app);
      return registry.get(app) ?? null;
    });
    await expect(host.guard('fresh')).resolves.toBeUndefined();
    expect(host.guard('fresh')).toBeUndefined(); // now in its view: no second lookup
    await expect(host.guard('other')).rejects.toMatchObject({ code: 403 });
    await expect(host.guard('ghost')).rejects.toMatchObject({ code: 404 });
    expect(lookups).toEqual(['fresh', 'other', 'ghost']);
  });

  test('commands for apps not assigned here are refused, whatever the command claims', async () => {
    const host = new AppHost({} as never, 'env_a', quiet);
    const command = { id: '1', type: 'start' as const, app: 'blog', config: record('blog', ['env_a'], 'stopped'), ackBy: Date.now() + 1000 };
    await expect(host.execute(command, record('blog', ['env_b'], 'stopped'))).rejects.toMatchObject({ code: 403, type: 'CB_ERR_SUPERVISOR_COMMAND_REFUSED' });
    await expect(host.execute(command, null)).rejects.toMatchObject({ code: 403 });
  });
});
