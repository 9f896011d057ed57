// The admin page in headless Chromium (as test/web/simulator.test.ts drives it): everything the
// browser requests for it is there, and its icon needs no request: none ends in a 404 (issue 16 item 12).
import { execFileSync } from 'node:child_process';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { serve } from '@hono/node-server';
import { Hono } from 'hono';
import { type Browser, chromium } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { silentLogger } from '../../src/logger.ts';
import { createAdminRoutes } from '../../src/report/admin.ts';
import { PROJECT_ROOT } from '../helpers/gateway-process.ts';
import { hop, question, useSeededLogFile } from '../log/fixtures.ts';

const TOKEN = 'admin-token-0123456789';
const file = useSeededLogFile((log) => {
  log.recordHop(hop());
  log.recordQuestion(question());
});

let browser: Browser;
let server: ReturnType<typeof serve>;
let base = '';
beforeAll(async () => {
  execFileSync('bash', [join(PROJECT_ROOT, 'scripts/ensure-chromium.sh')], {
    stdio: 'inherit',
    timeout: 590_000,
  });
  browser = await chromium.launch({
    executablePath: '/usr/bin/chromium',
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--no-first-run',
      '--disable-background-networking',
    ],
    timeout: 30_000,
  });
  // The admin routes mounted as main.ts mounts them, in an app that answers 404 to anything else.
  const app = new Hono();
  app.route(
    '/admin',
    createAdminRoutes({ dbPath: file.path, adminToken: TOKEN, logger: silentLogger(), tzOffsetMinutes: 180 }),
  );
  app.notFound((c) => c.text('Not found\n', 404));
  await new Promise<void>((resolve) => {
    server = serve({ fetch: app.fetch, port: 0, hostname: '127.0.0.1' }, () => resolve());
  });
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}, 600_000);
afterAll(async () => {
  await browser?.close();
  await new Promise((r) => server?.close(r));
});

describe('GET /admin in a browser', () => {
  it('requests nothing that is not there', async () => {
    const page = await browser.newPage();
    const requested: [string, number][] = [];
    page.on('response', (res) => requested.push([new URL(res.url()).pathname, res.status()]));
    await page.goto(`${base}/admin?token=${TOKEN}`, { waitUntil: 'networkidle' });
    expect(await page.title()).toBe('USSD gateway: report');
    expect(requested.length).toBeGreaterThan(0);
    expect(requested.filter(([, status]) => status >= 400)).toEqual([]);
    // Headless Chromium fetches no icon; a desktop browser asks /favicon.ico (a 404 here) unless
    // the page names one: it must name one that needs no request.
    const icons = await page.$$eval('link[rel~="icon"]', (links) => links.map((l) => l.getAttribute('href')));
    expect(icons).toEqual([expect.stringMatching(/^data:/)]);
    expect((await fetch(`${base}/favicon.ico`)).status).toBe(404);
    await page.close();
  });
});
