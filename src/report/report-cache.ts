// The admin's reports, built at most MAX_REPORT_BUILDS at a time and kept briefly (issue 15: one
// worker per distinct `days` value, with no limit, took 12 windows at once to 768 MB, all 503). A
// window's report being built is shared by everyone asking for it; one built in the last
// REPORT_CACHE_MS is served again; past the cap a request is refused at once (ReportBusyError), not
// queued. Knows nothing of HTTP or of how a report is built.
import type { Report } from './report.ts';

/** Reports built at once (each on its own worker thread, up to 512 MB of heap). */
export const MAX_REPORT_BUILDS = 2;
/** How long a built report is served again: a page reloaded, or its JSON fetched, within this. */
export const REPORT_CACHE_MS = 30_000;
/** Windows kept; the oldest is dropped beyond it. */
const CACHED_WINDOWS = 8;

export class ReportBusyError extends Error {
  override name = 'ReportBusyError';
  constructor(readonly building: number) {
    super(`${building} reports are being built`);
  }
}

export interface ReportCache {
  /** The report of a window (its days, or days and last day): cached, being built, or built now. Rejects with ReportBusyError past the cap. */
  get(window: number | string, build: () => Promise<Report>): Promise<Report>;
}

export function createReportCache(clock: () => number): ReportCache {
  const building = new Map<number | string, Promise<Report>>();
  // Insertion-ordered: the first is the oldest.
  const built = new Map<number | string, { at: number; report: Report }>();
  return {
    get(days, build) {
      const cached = built.get(days);
      if (cached !== undefined && clock() - cached.at < REPORT_CACHE_MS)
        return Promise.resolve(cached.report);
      const pending = building.get(days);
      if (pending !== undefined) return pending;
      if (building.size >= MAX_REPORT_BUILDS) return Promise.reject(new ReportBusyError(building.size));
      const report = build()
        .then((r) => {
          built.delete(days);
          built.set(days, { at: clock(), report: r });
          if (built.size > CACHED_WINDOWS) built.delete(built.keys().next().value as number | string);
          return r;
        })
        .finally(() => building.delete(days));
      building.set(days, report);
      return report;
    },
  };
}
