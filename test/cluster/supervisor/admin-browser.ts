import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import { ROOT } from '../../support/node-process';
import { ROOT_PASSWORD } from '../../support/root';

/** Debian's chromium (installed by .ci/run), driven by playwright-core: no browser download. */
export const CHROMIUM = '/usr/bin/chromium';
export const ARTIFACTS = join(ROOT, 'test-artifacts');

export async function launchChromium(): Promise<Browser> {
  return chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox'], headless: true });
}

/** Opens /admin on `origin`, signs in as the root user and waits for the first refresh. */
export async function openAdmin(browser: Browser, origin: string): Promise<Page> {
  const page = await browser.newPage({ viewport: { width: 1200, height: 800 } });
  await page.goto(`${origin}/admin?refresh=300`);
  await page.fill('#sign-in input[name=password]', ROOT_PASSWORD);
  await page.click('#sign-in button');
  await page.waitForSelector('#environments tr[data-env]');
  return page;
}

export async function screenshot(page: Page, name: string): Promise<string> {
  mkdirSync(ARTIFACTS, { recursive: true });
  const path = join(ARTIFACTS, name);
  await page.screenshot({ path, fullPage: true });
  return path;
}
