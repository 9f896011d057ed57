// The admin routes as the app mounts them at /admin: token auth (header or ?token=), disabled
// without ADMIN_TOKEN, the page's figures and charts, the JSON report, and a token never logged.
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { Hono } from 'hono';
import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { silentLogger } from '../../src/logger.ts';
import { createAdminRoutes } from '../../src/report/admin.ts';
import { openLogReadOnly } from '../../src/report/read.ts';
import { buildReport } from '../../src/report/report.ts';
import { feedback, hop, question, T0, tier, useSeededLogFile } from '../log/fixtures.ts';

const TOKEN = 'admin-token-0123456789';
const NOW = T0 + 3_600_000;
const file = useSeededLogFile((log) => {
  for (const p of ['p1', 'p2', 'p3']) log.recordHop(hop({ phoneHash: p, sessionId: `s-${p}` }));
  log.recordQuestion(question({ question: 'Mbolea <b>bora</b>?' }));
  log.recordFeedback(feedback({ helpful: true }));
  log.recordTier(tier({ event: 'offer' }));
  log.recordTier(tier({ event: 'accept' }));
});

function mount(over: Partial<Parameters<typeof createAdminRoutes>[0]> = {}): Hono {
  const app = new Hono();
  app.route(
    '/admin',
    createAdminRoutes({
      dbPath: file.path,
      adminToken: TOKEN,
      logger: silentLogger(),
      tzOffsetMinutes: 180,
      clock: () => NOW,
      ...over,
    }),
  );
  return app;
}

const bearer = (t: string) => ({ headers: { Authorization: `Bearer ${t}` } });

describe('admin auth', () => {
  it.each([
    ['no token', '/admin', {}, 401],
    ['a wrong bearer token', '/admin', bearer('admin-token-0123456788'), 401],
    ['a wrong ?token=', `/admin?token=nope`, {}, 401],
    ['an empty ?token=', `/admin?token=`, {}, 401],
    ['a basic auth header', '/admin', { headers: { Authorization: `Basic ${TOKEN}` } }, 401],
    ['the bearer token', '/admin', bearer(TOKEN), 200],
    ['the ?token=', `/admin?token=${TOKEN}`, {}, 200],
    ['no token, JSON', '/admin/report.json', {}, 401],
    ['the bearer token, JSON', '/admin/report.json', bearer(TOKEN), 200],
    ['the ?token=, JSON', `/admin/report.json?token=${TOKEN}`, {}, 200],
  ] as const)('with %s: %i', async (_name, url, init, status) => {
    const res = await mount().request(url, init);
    expect(res.status).toBe(status);
    expect(res.headers.get('cache-control')).toBe('no-store');
    // Issue 15: nothing to load, nowhere to be framed; the custom range's form is sent to itself.
    expect(res.headers.get('content-security-policy')).toBe(
      "default-src 'none'; style-src 'unsafe-inline'; img-src data:; base-uri 'none'; form-action 'self'; frame-ancestors 'none'",
    );
    expect(res.headers.get('x-frame-options')).toBe('DENY');
    if (status === 401) expect(await res.text()).toMatch(/Unauthorized/);
  });

  it.each([undefined, ''])(
    'is disabled (401, naming ADMIN_TOKEN) when ADMIN_TOKEN is %j',
    async (adminToken) => {
      const app = mount({ adminToken });
      for (const res of [
        await app.request('/admin', bearer(TOKEN)),
        await app.request(`/admin?token=${TOKEN}`),
      ]) {
        expect(res.status).toBe(401);
        expect(await res.text()).toMatch(/set ADMIN_TOKEN/);
      }
    },
  );
});

describe('admin page', () => {
  it('shows the figures in charts and tables, with no script and no external asset', async () => {
    const res = await mount().request('/admin', bearer(TOKEN));
    expect(res.headers.get('content-type')).toMatch(/text\/html/);
    const html = await res.text();
    const total = (id: string) => html.split(`id="t-${id}"`)[1]?.match(/<tfoot><tr>(.*?)<\/tr>/)?.[1];
    const row = (cells: string[]) => cells.map((c) => `<th>${c}</th>`).join('');
    // dialers 3, sessions 3, new 3, returning 0, retention -, -, sessions/user 1, questions 1, q/user 0.33
    expect(total('engagement-daily')).toBe(row(['total', '3', '3', '3', '0', '-', '-', '1.00', '1', '0.33']));
    // quota hits 0; 1 phone offered (quota screen), 1 accepted, nothing paid: conversion by intent
    expect(total('funnel-daily')).toBe(
      row(['total', '0', '1', '1/0', '1', '0', '0', '0', '0', '0', '0', '100% intent']),
    );
    expect(html).toContain('<b>100%</b> helpful (n = 1 rated)');
    // Dialers, session ends, hops, helpful, sources, failures, latency, delivery, funnel, offers;
    // no revenue chart in intent mode with no revenue.
    expect(html.match(/<svg /g)).toHaveLength(10);
    expect(html).toContain('<b>Intent mode</b>');
    expect(html).not.toMatch(/<script|src=|<link(?! rel="icon" href="data:,">)/);
    expect(html).toContain('mbolea b bora'); // the normalised question, markup gone
  });

  it('serves each table as CSV for the same window, and 404 for a table it does not have', async () => {
    const res = await mount().request('/admin/csv/topics?days=7', bearer(TOKEN));
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('text/csv; charset=utf-8');
    expect(res.headers.get('content-disposition')).toBe(
      'attachment; filename="topics-2026-01-04-2026-01-10.csv"',
    );
    expect(await res.text()).toBe('question,asked,wordings,rated,helpful\r\nmbolea b bora b,1,1,1,100%\r\n');
    expect((await mount().request('/admin/csv/nope', bearer(TOKEN))).status).toBe(404);
  });

  it.each([
    ['a custom range', 'from=2026-01-08&to=2026-01-09', '2026-01-08', '2026-01-09', 2],
    [
      'a range ending after today, cut at today',
      'from=2026-01-09&to=2026-02-01',
      '2026-01-09',
      '2026-01-10',
      2,
    ],
    [
      'a range the wrong way round: the default',
      'from=2026-01-09&to=2026-01-01',
      '2025-12-14',
      '2026-01-10',
      28,
    ],
    ['days=7', 'days=7', '2026-01-04', '2026-01-10', 7],
  ])('reports %s', async (_name, query, from, to, days) => {
    const res = await mount().request(`/admin/report.json?${query}`, bearer(TOKEN));
    expect(await res.json()).toMatchObject({ from, to, days });
  });

  it('keeps a ?token= in its links, and leaves a header token out of them', async () => {
    const viaQuery = await (await mount().request(`/admin?token=${TOKEN}&days=7`)).text();
    expect(viaQuery).toContain(`href="/admin/report.json?days=7&amp;token=${TOKEN}"`);
    expect(viaQuery).toContain(`href="/admin?days=28&amp;token=${TOKEN}"`);
    const viaHeader = await (await mount().request('/admin', bearer(TOKEN))).text();
    expect(viaHeader).not.toContain(TOKEN);
    expect(viaHeader).toContain('href="/admin/report.json?days=28"');
  });

  it('serves the same report as JSON, for the days asked', async () => {
    const res = await mount().request('/admin/report.json?days=7', bearer(TOKEN));
    const db = openLogReadOnly(file.path);
    const expected = buildReport(db, { days: 7, now: NOW, tzOffsetMinutes: 180 });
    db.close();
    expect(await res.json()).toEqual(expected);
  });

  it('answers 503 when the database is missing, and never logs the token', async () => {
    const lines: string[] = [];
    const sink = new Writable({
      write(chunk, _enc, done) {
        lines.push(String(chunk));
        done();
      },
    });
    const logger = pino({ level: 'trace' }, sink);
    const app = mount({ dbPath: join(file.dir, 'missing.db'), logger });
    const res = await app.request(`/admin?token=${TOKEN}`, bearer(TOKEN));
    expect(res.status).toBe(503);
    expect(await res.text()).toMatch(/no database/);
    await app.request('/admin?token=wrong-token');
    expect(lines.join('')).toMatch(/report failed/);
    expect(lines.join('')).not.toContain(TOKEN);
  });
});
