import { loadConfig } from '../../../config';
import { AppRegistry } from '../../app-registry';

const quiet = { info: () => undefined, warn: () => undefined, error: () => undefined };

/** A node whose main database can open siblings; nothing here touches PostgreSQL. */
function registry() {
  const opened: string[] = [];
  const closed: string[] = [];
  const sibling = (name: string) => ({ describe: name, close: async () => void closed.push(name) });
  const main = { describe: 'main', openSibling: async (name: string) => (opened.push(name), sibling(name)) };
  const node = { config: loadConfig({}), database: main, secrets: {}, cluster: {}, broadcast: async () => undefined };
  return { apps: new AppRegistry(node as never, quiet), main, opened, closed };
}

describe('the app registry of a node', () => {
  test('knows each app\'s schema: DB_SCHEMA for main, app_<name> for sub-applications', () => {
    const { apps } = registry();
    expect(apps.schemaOf('main')).toBe('public');
    expect(apps.schemaOf(undefined)).toBe('public');
    expect(apps.schemaOf('shop')).toBe('app_shop');
  });

  test('without a guard only main exists: a sub-application is a 404', async () => {
    const { apps } = registry();
    await expect(apps.get('shop')).rejects.toEqual(expect.objectContaining({ code: 404, type: 'CB_ERR_HTTP_NOT_FOUND' }));
  });

  test('asks the guard again once a lookup settles, and answers its refusal', async () => {
    const { apps } = registry();
    let asked = 0;
    apps.setGuard((app) => {
      asked += 1;
      if (asked === 1) return Promise.resolve();
      throw Object.assign(new Error(`App "${app}" is not running`), { code: 503 });
    });
    await expect(apps.assertServed('shop')).rejects.toThrow('App "shop" is not running');
    expect(asked).toBe(2);
  });

  test('routes an app with a database of its own there, opened once, and closes it when the app stops', async () => {
    const { apps, main, opened, closed } = registry();
    const [a, b] = await Promise.all([apps.openDatabase('shop', 'cb_shop'), apps.openDatabase('shop', 'cb_shop')]);
    expect(a).toBe(b);
    expect(opened).toEqual(['cb_shop']);
    expect(apps.databaseOf('shop')).toBe(a);
    expect(apps.databaseOfSchema('app_shop')).toBe(a);
    expect(apps.databaseOf('blog')).toBe(main);
    await apps.stop('shop');
    expect(closed).toEqual(['cb_shop']);
    expect(apps.databaseOf('shop')).toBe(main);
  });

  test('tells processors which apps run here: those running when they register, then each start and stop', async () => {
    const { apps } = registry();
    const events: string[] = [];
    apps.markRunning('shop');
    apps.onApps({ started: (app) => void events.push(`+${app}`), stopped: (app) => void events.push(`-${app}`) });
    apps.markRunning('blog');
    apps.markRunning('blog');
    apps.markStopped('shop');
    apps.markStopped('shop');
    await new Promise((r) => setImmediate(r));
    expect(events).toEqual(['+shop', '+blog', '-shop']);
  });
});
