// The admin page in headless Chromium (as test/web/simulator.test.ts drives it), on the
// hand-worked dataset of dataset.ts (issue 17): at 1280 and 390 px no sideways scroll, every chart
// drawn with its axes and its values, the figures of report.test.ts in the tables, a tap showing a
// mark's exact figure, the CSV downloads, the custom range; nothing requested that is not there
// (issue 16 item 12). Screenshots are kept in test-artifacts/ (admin-1280.png, admin-390.png).
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { serve } from '@hono/node-server';
import { Hono } from 'hono';
import { type Browser, chromium, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { silentLogger } from '../../src/logger.ts';
import { createAdminRoutes } from '../../src/report/admin.ts';
import { PROJECT_ROOT } from '../helpers/gateway-process.ts';
import { useSeededLogFile } from '../log/fixtures.ts';
import { DAYS, ENGAGEMENT_TOTAL, NOW, seedDataset, TZ } from './dataset.ts';

const TOKEN = 'admin-token-0123456789';
const ARTIFACTS = join(PROJECT_ROOT, 'test-artifacts');
const file = useSeededLogFile(seedDataset);

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
    createAdminRoutes({
      dbPath: file.path,
      adminToken: TOKEN,
      logger: silentLogger(),
      tzOffsetMinutes: TZ,
      clock: () => NOW,
    }),
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

const PAGE = () => `${base}/admin?token=${TOKEN}&days=${DAYS}`;

async function open(width: number): Promise<Page> {
  const page = await browser.newPage({ viewport: { width, height: 900 }, acceptDownloads: true });
  await page.goto(PAGE(), { waitUntil: 'load' });
  return page;
}

/** The cells of a table of the page, by its id, row by row (header, body, foot). */
const cells = (page: Page, id: string) =>
  page.$$eval(`#t-${id} tr`, (rows) => rows.map((r) => [...r.children].map((c) => c.textContent ?? '')));

/** Each chart's caption with the values written on it and how many date labels and marks it has. */
const charts = (page: Page) =>
  page.$$eval('figure', (figs) =>
    figs.map((f) => ({
      caption: f.querySelector('figcaption')?.textContent ?? '',
      values: [...f.querySelectorAll('svg .val')].map((t) => t.textContent ?? ''),
      axes: f.querySelectorAll('svg .axis').length,
      marks: f.querySelectorAll('svg .pt').length,
      width: f.querySelector('svg')?.getBoundingClientRect().width ?? 0,
    })),
  );

describe.each([1280, 390])('GET /admin in a browser %i px wide', (width) => {
  it('fits the width, draws every chart with axes and values, and shows the hand-worked figures', async () => {
    const page = await open(width);
    // A string: the test is type-checked without the DOM's types.
    const scroll = (await page.evaluate(
      '({ content: document.documentElement.scrollWidth, viewport: window.innerWidth })',
    )) as { content: number; viewport: number };
    expect(scroll.content).toBeLessThanOrEqual(scroll.viewport);
    const drawn = await charts(page);
    expect(drawn.map((c) => c.caption)).toEqual([
      'Daily dialers: 7 phones in the window, 6 new',
      'Where sessions end: the last screen of 12 sessions',
      'Hops per session',
      'Helpful: 56% of 9 answers rated',
      'Questions by answer source: 15 asked, 4 failed (27%)',
      'Failed answers by kind: 4 of 15 questions',
      'Time to the first words and to the whole answer, p50 (ms)',
      'How the answers reached people (15 questions)',
      'Funnel (phones, the window): conversion 67% intent',
      'Phones offered per day, accepted or not',
      // No revenue chart: intent mode, no money moved.
    ]);
    for (const c of drawn) {
      expect(c.axes, c.caption).toBeGreaterThan(0);
      expect(c.width, c.caption).toBeGreaterThan(200);
      expect(c.width, c.caption).toBeLessThanOrEqual(width);
    }
    const [dialers, ends, , helpful, sources, failures, latency, , funnel] = drawn;
    // Every day of the window is a mark, the empty ones too; each day's dialers written on it.
    expect(dialers?.marks).toBe(10);
    expect(dialers?.values).toEqual(['3', '2', '1', '2', '2', '1']);
    expect(ends?.values).toEqual(['4 (33%)', '4 (33%)', '2 (17%)', '1 (8%)', '1 (8%)']);
    expect(helpful?.values).toEqual(['75%', '50%', '0%', '50%']);
    expect(sources?.values).toEqual(['4', '2', '3', '2', '4']);
    expect(failures?.values).toEqual(['1 (7%)', '1 (7%)', '1 (7%)', '1 (7%)']);
    expect(latency?.values).toEqual([
      '300 ms',
      '1300 ms',
      '800 ms',
      '2500 ms',
      '2 ms',
      '2 ms',
      '1 ms',
      '1 ms',
    ]);
    expect(funnel?.values).toEqual(['3', '2 (67%)', 'n/a (intent)', 'n/a (intent)']);

    expect(await cells(page, 'cohorts')).toEqual([
      ['week of', 'new', 'day 1', 'day 7', 'day 28'],
      ['2025-12-29', '4', '25%1/4', '67%2/3', '-'],
      ['2026-01-05', '2', '0%0/1', '-', '-'],
    ]);
    expect(await cells(page, 'latency-by-source')).toEqual([
      ['source', 'answered', 'share', 'first p50', 'first p95', 'whole p50', 'whole p95'],
      ['model', '7', '47%', '300', '300', '1300', '4000'],
      ['knowledge', '1', '7%', '800', '800', '2500', '2500'],
      ['cache', '1', '7%', '2', '2', '2', '2'],
      ['FAQ', '2', '13%', '1', '2', '1', '2'],
    ]);
    expect((await cells(page, 'topics')).slice(0, 4)).toEqual([
      ['question', 'asked', 'wordings', 'rated', 'helpful'],
      ['how do i plant maize', '3', '1', '2', '100%'],
      ['mbolea bora', '2', '1', '0', '-'],
      ['what is ors', '2', '2', '2', '100%'],
    ]);
    expect((await cells(page, 'engagement-daily')).at(-1)).toEqual(ENGAGEMENT_TOTAL);
    expect((await cells(page, 'funnel-daily')).at(-1)).toEqual([
      'total',
      '3',
      '3',
      '3/0',
      '2',
      '1',
      '0',
      '0',
      '0',
      '0',
      '0',
      '67% intent',
    ]);
    // The intent mode is labelled; the cohort cells are shaded by their rate.
    expect(await page.textContent('#conversion .mode')).toMatch(/Intent mode/);
    const shades = await page.$$eval('#t-cohorts tbody td[style]', (tds) =>
      tds.map((td) => td.getAttribute('style')),
    );
    expect(shades[0]).toMatch(/rgba\(0,114,178,0\.28\)/); // 25 %: 0.08 + 0.82 × 0.25
    await page.screenshot({ path: join(ARTIFACTS, `admin-${width}.png`), fullPage: true });
    await page.close();
  });
});

describe('GET /admin in a browser', () => {
  it('shows the exact figure of a mark when it is tapped', async () => {
    const page = await open(390);
    const mark = page.locator('figure').first().locator('.pt').first();
    const tip = mark.locator('.tip');
    expect(await tip.isVisible()).toBe(false);
    await mark.tap({ force: true }).catch(() => mark.focus());
    await mark.focus();
    expect(await tip.isVisible()).toBe(true);
    expect(await tip.textContent()).toBe('2026-01-01: 3 dialers (2 new, 1 returning), 4 sessions');
    await page.close();
  });

  it('downloads each table as CSV', async () => {
    const page = await open(1280);
    const links = await page.$$eval('a.csv', (as) => as.map((a) => a.getAttribute('href') ?? ''));
    expect(links.length).toBeGreaterThanOrEqual(9);
    const [download] = await Promise.all([page.waitForEvent('download'), page.click('#engagement h3 a.csv')]);
    expect(download.suggestedFilename()).toBe('cohorts-2026-01-01-2026-01-10.csv');
    expect(readFileSync((await download.path()) ?? '', 'utf8')).toBe(
      'week of,new,day 1,day 7,day 28\r\n2025-12-29,4,25% (1/4),67% (2/3),-\r\n2026-01-05,2,0% (0/1),-,-\r\n',
    );
    for (const href of links) {
      const res = await page.request.get(new URL(href, base).href);
      expect(res.status(), href).toBe(200);
      expect(res.headers()['content-type']).toMatch(/^text\/csv/);
    }
    await page.close();
  });

  it('shows a custom range from its form, and requests nothing that is not there', async () => {
    const page = await browser.newPage();
    const requested: [string, number][] = [];
    page.on('response', (res) => requested.push([new URL(res.url()).pathname, res.status()]));
    await page.goto(PAGE(), { waitUntil: 'networkidle' });
    expect(await page.title()).toBe('USSD gateway: report');
    await page.fill('input[name=from]', '2026-01-02');
    await page.fill('input[name=to]', '2026-01-03');
    await Promise.all([page.waitForURL(/from=2026-01-02/), page.click('.range button')]);
    expect(await page.textContent('h1')).toContain('2026-01-02 .. 2026-01-03 (2 days');
    expect((await cells(page, 'engagement-daily')).map((r) => r[0])).toEqual([
      'day',
      '2026-01-02',
      '2026-01-03',
      'total',
    ]);
    expect(requested.filter(([, status]) => status >= 400)).toEqual([]);
    // Headless Chromium fetches no icon; a desktop browser asks /favicon.ico (a 404 here) unless
    // the page names one: it must name one that needs no request.
    const icons = await page.$$eval('link[rel~="icon"]', (l) => l.map((x) => x.getAttribute('href')));
    expect(icons).toEqual([expect.stringMatching(/^data:/)]);
    await page.close();
  });
});
