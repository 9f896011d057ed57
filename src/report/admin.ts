// The admin routes, mounted by the app at /admin (issue 5): GET /admin (HTML with charts),
// GET /admin/report.json and GET /admin/csv/<table> (one table of the page, issue 17), each for
// `?days=N` ending today or a custom `?from=YYYY-MM-DD&to=YYYY-MM-DD`. Protected by ADMIN_TOKEN, given as `Authorization: Bearer <t>` or
// `?token=` (the page then keeps it in its links); without ADMIN_TOKEN the admin is disabled.
// Reads through its own read-only connection, opened per request on a worker thread
// (report-thread.ts), so a report never holds the event loop that answers hops. Must never log the
// token.
import { createHash, timingSafeEqual } from 'node:crypto';
import { Hono } from 'hono';
import type { Logger } from '../logger.ts';
import { renderAdminPage } from './admin-page.ts';
import type { Report } from './report.ts';
import { createReportCache, ReportBusyError } from './report-cache.ts';
import { buildReportInWorker, type ReportSource } from './report-thread.ts';
import { allTables, toCsv } from './tables.ts';
import { parseWindow, type Window } from './window.ts';

export interface AdminOptions {
  /** The log's SQLite file, read through a separate read-only connection. */
  dbPath?: string;
  /** Or where the log is (SQLite or PostgreSQL, issue 19); wins over dbPath. */
  source?: ReportSource;
  /** Or a function giving the report (tests, other stores); wins over dbPath. */
  report?: (options: ReportRequest) => Report | Promise<Report>;
  /** ADMIN_TOKEN; undefined disables the admin (401). */
  adminToken?: string | undefined;
  logger: Logger;
  tzOffsetMinutes: number;
  clock?: () => number;
}

type ReportRequest = { days: number; now: number; tzOffsetMinutes: number };

const CSP =
  "default-src 'none'; style-src 'unsafe-inline'; img-src data:; base-uri 'none'; form-action 'self'; frame-ancestors 'none'";

export function createAdminRoutes(options: AdminOptions): Hono {
  const { logger, tzOffsetMinutes } = options;
  const clock = options.clock ?? Date.now;
  const expected = options.adminToken ? digest(options.adminToken) : null;
  const log = logger.child({ layer: 'admin' });

  // One report per window at a time, kept briefly, a few built at once (report-cache.ts).
  const reports = createReportCache(clock);
  const build = async (o: ReportRequest): Promise<Report> => {
    if (options.report) return options.report(o);
    const from = options.source ?? options.dbPath;
    if (!from) throw new Error('[admin] neither a source, a dbPath nor a report was given');
    return buildReportInWorker(from, o);
  };
  // Keyed by the window's days and its last day: a custom range ending before today is its own.
  const getReport = (o: ReportRequest) =>
    reports.get(`${o.days}:${Math.floor((o.now + tzOffsetMinutes * 60_000) / 86_400_000)}`, () => build(o));

  const app = new Hono();

  app.use('*', async (c, next) => {
    // The token may travel in the URL: keep pages out of caches and referrers.
    c.header('Cache-Control', 'no-store');
    c.header('Referrer-Policy', 'no-referrer');
    // The page is one document with inline styles and SVG: nothing to load, nowhere to be framed
    // (issue 15: no CSP, so any site could frame it).
    c.header('Content-Security-Policy', CSP);
    c.header('X-Frame-Options', 'DENY');
    c.header('X-Content-Type-Options', 'nosniff');
    if (!expected) {
      return c.text('Admin is disabled: set ADMIN_TOKEN (16 characters or more) to enable it.\n', 401);
    }
    const given = bearer(c.req.header('authorization')) ?? c.req.query('token');
    if (given === undefined || !timingSafeEqual(digest(given), expected)) {
      c.header('WWW-Authenticate', 'Bearer realm="admin"');
      return c.text(
        'Unauthorized: send "Authorization: Bearer <ADMIN_TOKEN>" or ?token=<ADMIN_TOKEN>.\n',
        401,
      );
    }
    await next();
  });

  const load = async (query: Record<string, string>): Promise<Report | Error> => {
    const window: Window = parseWindow(query, clock(), tzOffsetMinutes);
    try {
      return await getReport({ ...window, tzOffsetMinutes });
    } catch (err) {
      if (!(err instanceof ReportBusyError))
        log.warn({ err: (err as Error).message }, '[admin] report failed');
      return err as Error;
    }
  };
  const unavailable = (err: Error) =>
    err instanceof ReportBusyError
      ? `Busy: ${err.building} reports are being built; try again in half a minute.`
      : `No report: ${err.message}`;
  const busyHeaders = (err: Error): Record<string, string> =>
    err instanceof ReportBusyError ? { 'Retry-After': '30' } : {};

  app.get('/report.json', async (c) => {
    const report = await load(c.req.query());
    if (report instanceof Error) return c.json({ error: unavailable(report) }, 503, busyHeaders(report));
    return c.json(report);
  });

  app.get('/csv/:table', async (c) => {
    const report = await load(c.req.query());
    if (report instanceof Error) return c.text(`${unavailable(report)}\n`, 503, busyHeaders(report));
    const table = allTables(report).find((t) => t.id === c.req.param('table'));
    if (!table) return c.text('No such table.\n', 404);
    c.header('Content-Type', 'text/csv; charset=utf-8');
    c.header('Content-Disposition', `attachment; filename="${table.id}-${report.from}-${report.to}.csv"`);
    return c.body(toCsv(table));
  });

  app.get('/', async (c) => {
    const report = await load(c.req.query());
    if (report instanceof Error) return c.text(`${unavailable(report)}\n`, 503, busyHeaders(report));
    // Links carry the token only when it came in the URL; a header-authenticated client has its own.
    const token = c.req.query('token');
    const base = c.req.path.endsWith('/') ? c.req.path : `${c.req.path}/`;
    // The same window in every link: the days ending today, or the custom range asked for.
    const custom = c.req.query('from') !== undefined ? { from: report.from, to: report.to } : null;
    const href = (path: string, days: number | null) => {
      const q = new URLSearchParams(days === null && custom ? custom : { days: String(days ?? report.days) });
      if (token !== undefined) q.set('token', token);
      return `${path}?${q}`;
    };
    return c.html(
      renderAdminPage(report, {
        json: href(`${base}report.json`, null),
        days: (n) => href(c.req.path, n),
        csv: (id) => href(`${base}csv/${id}`, null),
        form: { action: c.req.path, token },
      }),
    );
  });

  return app;
}

function digest(s: string): Buffer {
  return createHash('sha256').update(s).digest();
}

function bearer(header: string | undefined): string | undefined {
  const m = /^Bearer\s+(.+)$/i.exec(header ?? '');
  return m?.[1]?.trim();
}
