// Issue 15 item 14, against the real server process: /admin started one report worker per distinct
// `days` value, with no limit (12 windows at once: all 503, 768 MB). Now a window's report is built
// once at a time and kept briefly, at most MAX_REPORT_BUILDS are built at once and the rest get a
// clear 503 at once, and the page says where it may be framed (nowhere) in its CSP.
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MAX_REPORT_BUILDS } from '../../src/report/report-cache.ts';
import { crashLines, type FaultGateway, settledRows, startFaultGateway } from './fault-gateway.ts';
import { createDialer, fault, sleep } from './support.ts';

const ADMIN_TOKEN = 'adm-LOAD-0123456789abcdef';
const WINDOWS = 12;

let gw: FaultGateway;
beforeAll(async () => {
  gw = await startFaultGateway({ ADMIN_TOKEN });
});
afterAll(async () => {
  await gw?.dispose();
});

/** The process's peak resident memory so far (VmHWM), in MB. */
function peakRssMb(pid: number): number {
  const kb = Number(/VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1]);
  return Math.round(kb / 1024);
}

async function get(path: string) {
  const started = Date.now();
  const res = await fetch(`${gw.url}${path}`, { headers: { authorization: `Bearer ${ADMIN_TOKEN}` } });
  return { status: res.status, body: await res.text(), ms: Date.now() - started, headers: res.headers };
}

describe('admin under load', () => {
  it(`${WINDOWS} report windows at once: at most ${MAX_REPORT_BUILDS} built, the rest a clear 503; hops unaffected`, () =>
    fault(`Admin: ${WINDOWS} report windows at once`, async (t) => {
      const hop = createDialer(gw.url, t);
      await hop({ sessionId: 'admin-load-0', text: '' });
      await settledRows(gw.dbPath, 1);
      const pid = gw.child.pid ?? 0;
      const before = peakRssMb(pid);
      const burst = await Promise.all(
        Array.from({ length: WINDOWS }, (_, i) => get(`/admin/report.json?days=${i + 1}`)),
      );
      const during = await hop({ sessionId: 'admin-load-1', text: '' });
      await sleep(200);
      const peak = peakRssMb(pid);
      const built = burst.filter((r) => r.status === 200);
      const busy = burst.filter((r) => r.status === 503);
      // The same window again, soon after: from the cache, no worker.
      const again = await get('/admin/report.json?days=1');
      const page = await get('/admin?days=1');
      t.injected = true;
      t.note =
        `${built.length} built, ${busy.length} busy (503, max ${Math.max(0, ...busy.map((r) => r.ms))} ms); ` +
        `peak RSS ${before} -> ${peak} MB; a hop meanwhile ${during.ms} ms; the same window again: ${again.status} in ${again.ms} ms`;
      expect(built).toHaveLength(MAX_REPORT_BUILDS);
      for (const r of busy) {
        expect(r.body).toMatch(/busy/i);
        expect(r.headers.get('retry-after')).toBe('30');
      }
      expect(again.status).toBe(200);
      expect(during.status).toBe(200);
      const csp = page.headers.get('content-security-policy') ?? '';
      expect(csp).toContain("frame-ancestors 'none'");
      expect(csp).toContain("default-src 'none'");
      expect(page.headers.get('x-frame-options')).toBe('DENY');
      expect(crashLines(gw.output())).toEqual([]);
      t.rowsExpected = 2;
      t.rowsFound = await settledRows(gw.dbPath, 2);
    }));
});
