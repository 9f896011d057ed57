// The admin's report cache (issue 15 item 14): one build per window at a time, shared; a built
// report served again for REPORT_CACHE_MS; at most MAX_REPORT_BUILDS at once, the rest refused at
// once with ReportBusyError; a failed build is not kept.
import { describe, expect, it } from 'vitest';
import type { Report } from '../../src/report/report.ts';
import {
  createReportCache,
  MAX_REPORT_BUILDS,
  REPORT_CACHE_MS,
  ReportBusyError,
} from '../../src/report/report-cache.ts';

/** Builds that finish when told, counting how many were started per window. */
function builds() {
  const started: number[] = [];
  const finish = new Map<number, (r: Report) => void>();
  return {
    started,
    build: (days: number) => () => {
      started.push(days);
      return new Promise<Report>((resolve) => finish.set(days, resolve));
    },
    done: (days: number) => finish.get(days)?.({ days } as Report),
  };
}

describe('createReportCache', () => {
  it('shares a window being built, caps builds at once, and serves a built one again briefly', async () => {
    let now = 0;
    const cache = createReportCache(() => now);
    const b = builds();
    const first = cache.get(7, b.build(7));
    const same = cache.get(7, b.build(7));
    const other = cache.get(28, b.build(28));
    expect(MAX_REPORT_BUILDS).toBe(2);
    await expect(cache.get(90, b.build(90))).rejects.toBeInstanceOf(ReportBusyError);
    expect(b.started).toEqual([7, 28]);
    b.done(7);
    b.done(28);
    expect(await first).toBe(await same);
    await other;
    now += REPORT_CACHE_MS - 1;
    expect(await cache.get(7, b.build(7))).toBe(await first);
    expect(b.started).toEqual([7, 28]);
    now += 1;
    const fresh = cache.get(7, b.build(7));
    b.done(7);
    expect(await fresh).not.toBe(await first);
    expect(b.started).toEqual([7, 28, 7]);
  });

  it('does not keep a failed build', async () => {
    const cache = createReportCache(() => 0);
    await expect(cache.get(7, () => Promise.reject(new Error('disk')))).rejects.toThrow('disk');
    expect(await cache.get(7, async () => ({ days: 7 }) as Report)).toEqual({ days: 7 });
  });
});
