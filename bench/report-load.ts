// `npm run bench:report`: the report on a log of a million sessions (issue 17). Seeds the file
// once (bench/lib/seed-log.ts), then measures
//   1. the report built in process, as `npm run report` builds it, for 7, 28 and 90 days;
//   2. the real gateway (`npm start`'s process, on this file) answering GET /admin and
//      /admin/report.json for each window, while a steady stream of hops is sent: each hop's
//      latency before and during the loads, so a stall of the event loop would show (the report
//      runs on its worker thread: report-thread.ts).
// Knobs: SESSIONS (1000000), PHONES (150000), SPAN_DAYS (90), HOP_EVERY_MS (20), DIALERS (4),
// GATEWAY=0 (stop before the gateway part).
// Loopback only; the gateway on a real Redis (REDIS_URL, default redis://127.0.0.1:6379, a fresh
// key prefix). Prints a table; exits 1 when a load failed.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { renderAdminPage } from '../src/report/admin-page.ts';
import { openLogReadOnly } from '../src/report/read.ts';
import { buildReport, type Report } from '../src/report/report.ts';
import { buildReportInWorker } from '../src/report/report-thread.ts';
import { PROJECT_ROOT } from '../test/helpers/gateway-process.ts';
import { runCommand, sleep, startServer } from './lib/procs.ts';
import { seededLog } from './lib/seed-log.ts';
import { gatewaySpec, hasBuild } from './lib/servers.ts';

const env = (name: string, fallback: number) => Number(process.env[name] ?? fallback);
const SESSIONS = env('SESSIONS', 1_000_000);
const PHONES = env('PHONES', 150_000);
const SPAN_DAYS = env('SPAN_DAYS', 90);
const HOP_EVERY_MS = env('HOP_EVERY_MS', 20);
const DIALERS = env('DIALERS', 4);
const WINDOWS = [7, 28, 90];
const TOKEN = 'bench-admin-token-0123456789';
const TZ_MINUTES = 180;

const say = (s: string) => process.stdout.write(`${s}\n`);

async function main(): Promise<number> {
  const { path, reused } = seededLog(
    { sessions: SESSIONS, phones: PHONES, spanDays: SPAN_DAYS, now: Date.now() },
    say,
  );
  if (reused) say(`reusing ${path}`);

  say('\nin process (npm run report), one build each:');
  say('| days | sessions in window | build ms | heap used MB after |');
  say('|---|---|---|---|');
  for (const days of WINDOWS) {
    const db = openLogReadOnly(path);
    const t0 = performance.now();
    const r = buildReport(db, { days, now: Date.now(), tzOffsetMinutes: TZ_MINUTES });
    const ms = performance.now() - t0;
    db.close();
    say(
      `| ${days} | ${r.total.sessions} | ${Math.round(ms)} | ${Math.round(process.memoryUsage().heapUsed / 1e6)} |`,
    );
  }

  // The proof that the worker keeps the event loop free: its delay while a 28-day report is built
  // on the worker (as /admin builds it) and, for contrast, on this thread (as the CLI does).
  say("\nthis process's event loop while a 28-day report is built (the lateness of a 5 ms ticker):");
  say('| built on | build ms | loop held p50 ms | p99 ms | max ms | page render ms (main thread) |');
  say('|---|---|---|---|---|---|');
  for (const where of ['worker thread', 'event loop'] as const) {
    // A 5 ms ticker: each gap between its ticks beyond 5 ms is how long the loop was held.
    const gaps: number[] = [];
    let last = performance.now();
    const ticker = setInterval(() => {
      const now = performance.now();
      gaps.push(now - last - 5);
      last = now;
    }, 5);
    await sleep(20);
    const t0 = performance.now();
    let r: Report;
    if (where === 'worker thread')
      r = await buildReportInWorker(
        path,
        { days: 28, now: Date.now(), tzOffsetMinutes: TZ_MINUTES },
        300_000,
      );
    else {
      const db = openLogReadOnly(path);
      r = buildReport(db, { days: 28, now: Date.now(), tzOffsetMinutes: TZ_MINUTES });
      db.close();
    }
    const ms = performance.now() - t0;
    await sleep(20); // the tick after a held loop records its gap
    clearInterval(ticker);
    const t1 = performance.now();
    renderAdminPage(r, { json: '', days: () => '', csv: () => '' });
    const render = performance.now() - t1;
    const s = gaps.map((g) => Math.max(0, g)).sort((x, y) => x - y);
    const q = (p: number) => (s[Math.max(0, Math.ceil((p / 100) * s.length) - 1)] ?? 0).toFixed(1);
    say(
      `| ${where} | ${Math.round(ms)} | ${q(50)} | ${q(99)} | ${(s.at(-1) ?? 0).toFixed(1)} | ${render.toFixed(1)} |`,
    );
  }
  if (process.env['GATEWAY'] === '0') return 0;

  if (hasBuild())
    await runCommand(['npm', 'run', 'build', '--silent'], { cwd: PROJECT_ROOT, timeoutMs: 120_000 });
  const dir = mkdtempSync(join(tmpdir(), 'ussd-bench-report-'));
  const port = 30_000 + Math.floor(Math.random() * 20_000);
  const spec = gatewaySpec({
    redisUrl: process.env['REDIS_URL'] ?? 'redis://127.0.0.1:6379',
    redisPrefix: `bench-report-${process.pid}:`,
    databasePath: path,
    ollamaUrl: 'http://127.0.0.1:9',
    logLevel: 'warn',
    hopDeadlineMs: 4000,
    nodeFlags: [],
    extraEnv: { ADMIN_TOKEN: TOKEN, TIMEZONE_OFFSET_MINUTES: String(TZ_MINUTES) },
  });
  const gw = await startServer({ ...spec, port, logFile: join(dir, 'gateway.log') });
  const base = gw.url.replace(/\/ussd$/, '');
  let failed = false;
  try {
    const hops = hopStream(gw.url);
    await sleep(3000);
    const baseline = hops.take();
    say(
      `\nthe gateway on this file (log: ${join(dir, 'gateway.log')}), hops every ${HOP_EVERY_MS} ms from ${DIALERS} dialers:`,
    );
    say('| request | status | ms | bytes | hops meanwhile | hop p50 ms | hop p99 ms | hop max ms |');
    say('|---|---|---|---|---|---|---|---|');
    say(`| (none: 3 s before) | | | | ${row(baseline)} |`);
    for (const days of WINDOWS) {
      for (const path of [`/admin?days=${days}`, `/admin/report.json?days=${days}`]) {
        hops.take();
        const t0 = performance.now();
        const res = await fetch(`${base}${path}`, { headers: { authorization: `Bearer ${TOKEN}` } });
        const body = await res.arrayBuffer();
        const ms = performance.now() - t0;
        if (res.status !== 200) failed = true;
        // The JSON of a window just built is served from the report cache (30 s).
        const label = path.includes('.json') ? `GET ${path} (cached)` : `GET ${path}`;
        say(`| ${label} | ${res.status} | ${Math.round(ms)} | ${body.byteLength} | ${row(hops.take())} |`);
      }
    }
    const stats = hops.stop();
    if (stats.errors > 0) {
      failed = true;
      say(`hop errors: ${stats.errors}`);
    }
    say(`\npeak RSS of the gateway: ${gw.peakRssMb()} MB (the report workers included)`);
  } finally {
    await gw.stop();
  }
  return failed ? 1 : 0;
}

/** DIALERS loops each sending a first hop (a new session) every HOP_EVERY_MS, timing each. */
function hopStream(url: string) {
  let latencies: number[] = [];
  let errors = 0;
  let running = true;
  let n = 0;
  const loops = Array.from({ length: DIALERS }, async (_, k) => {
    while (running) {
      const t0 = performance.now();
      try {
        const res = await fetch(url, {
          method: 'POST',
          body: new URLSearchParams({
            sessionId: `ATUid_bench${k}x${n++}`,
            serviceCode: '*384*123#',
            phoneNumber: `+2547110${String(k).padStart(5, '0')}`,
            networkCode: '63902',
            text: '',
          }),
        });
        const text = await res.text();
        if (res.status !== 200 || !/^(CON|END) /.test(text)) errors++;
      } catch {
        errors++;
      }
      latencies.push(performance.now() - t0);
      await sleep(HOP_EVERY_MS);
    }
  });
  return {
    /** The latencies since the last take. */
    take(): number[] {
      const out = latencies;
      latencies = [];
      return out;
    },
    stop() {
      running = false;
      void Promise.all(loops);
      return { errors };
    },
  };
}

function row(ms: number[]): string {
  const s = [...ms].sort((a, b) => a - b);
  const at = (p: number) => s[Math.max(0, Math.ceil((p / 100) * s.length) - 1)] ?? 0;
  return `${s.length} | ${at(50).toFixed(1)} | ${at(99).toFixed(1)} | ${(s.at(-1) ?? 0).toFixed(1)}`;
}

process.exitCode = await main();
