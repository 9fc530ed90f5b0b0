import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { ServiceBroker } from 'moleculer';
import type { Browser } from 'playwright-core';
import ApiService = require('../../../services/api.service');
import AuthService = require('../../../services/auth.service');
import DataService = require('../../../services/data.service');
import SupervisorService = require('../../../services/supervisor.service');
import { dropSchemas, uniqueSchema } from '../../support/database';
import { startInProcessNode } from '../../support/in-process-node';
import { ROOT_PASSWORD } from '../../support/root';
import { requireServices } from '../../support/services';
import { launchChromium, openAdmin, screenshot } from '../../cluster/supervisor/admin-browser';

describe('the supervisor /admin page in headless Chromium (shared-memory mode)', () => {
  const schema = uniqueSchema('adm');
  const app = `p${randomBytes(4).toString('hex')}`;
  let broker: ServiceBroker;
  let origin: string;
  let browser: Browser;

  beforeAll(async () => {
    await requireServices('postgres');
    const node = await startInProcessNode(schema, [ApiService, AuthService, DataService, SupervisorService], { APP_MODE: 'supervisor', INIT_ROOT_PASSWORD: ROOT_PASSWORD, APP_AES_SECRET_KEY: '41fa8a69031afee15cdf41f8d5940ee37f98494c5ca41e90738238479ab8efde' });
    broker = node.broker;
    origin = node.api.replace(/\/api$/, '');
    browser = await launchChromium();
  });

  afterAll(async () => {
    await browser?.close();
    await broker?.stop();
    await dropSchemas(schema, `app_${app}`);
  });

  test('asks to sign in, then lists the local environment', async () => {
    const page = await openAdmin(browser, origin);
    expect(await page.textContent('#environments tr[data-env="local"] .status')).toBe('available');
    expect(await page.getAttribute('#cluster-link', 'href')).toBe('/admin/cluster');
    await page.close();
  });

  test('a wrong password is shown as an error, not a blank page', async () => {
    const page = await browser.newPage();
    await page.goto(`${origin}/admin`);
    await page.evaluate(() => sessionStorage.clear());
    await page.reload();
    await page.fill('#sign-in input[name=password]', 'wrong-password');
    await page.click('#sign-in button');
    await page.waitForSelector('#error:text("incorrect")');
    await page.close();
  });

  test('creates an app, stops and starts it; the page refreshes itself', async () => {
    const page = await openAdmin(browser, origin);
    await page.fill('#create-app input[name=name]', app);
    await page.fill('#create-app input[name=displayName]', 'Page app');
    await page.click('#create-app button');
    const status = `#apps tr[data-app="${app}"] [data-status-env="local"]`;
    await page.waitForSelector(`${status}:text("running")`);
    await page.click(`#apps tr[data-app="${app}"] button[data-action=stop]`);
    await page.waitForSelector(`${status}:text("stopped")`);

    // A change made elsewhere (the REST API) shows up without a reload.
    const token = await page.evaluate(() => sessionStorage.getItem('cb-supervisor-token'));
    await fetch(`${origin}/api/applications:start?filterByTk=${app}`, { method: 'POST', headers: { authorization: `Bearer ${token}` } });
    await page.waitForSelector(`${status}:text("running")`);

    // Bad input: the error is shown.
    await page.fill('#create-app input[name=name]', app);
    await page.click('#create-app button');
    await page.waitForSelector('#error:text("already exists")');
    expect(existsSync(await screenshot(page, 'supervisor-admin-shared-memory.png'))).toBe(true);
    await page.close();
  });
});
