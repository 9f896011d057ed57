// What the log says while its queue sheds rows (queue.ts, issue 15 item 9): a line when shedding
// starts, one every SHED_REPORT_MS with the counts by kind while it goes on, one when the queue is
// back under its cap, and once when rows that are never shed (questions) hold it past the cap.
// Lines, not one per row: a full disk under load sheds thousands a second.
import type { Logger } from '../logger.ts';
import type { RowQueue } from './queue.ts';

/** While rows are being shed, one line says how many this often. */
const SHED_REPORT_MS = 10_000;

export interface ShedReportDeps {
  log: Logger;
  clock: () => number;
  queue: RowQueue;
  maxQueueBytes: number;
}

export function createShedReport({ log, clock, queue, maxQueueBytes }: ShedReportDeps) {
  /** Rows shed since the last line that said so, by kind; null when not shedding. */
  let shedding: { since: number; counts: Record<string, number>; overCapSaid: boolean } | null = null;

  return {
    /** After a push that shed rows (or left the queue over its cap); returns how many were shed. */
    note(shed: Partial<Record<string, number>> | null): number {
      const first = shedding === null;
      shedding ??= { since: clock(), counts: {}, overCapSaid: false };
      let total = 0;
      for (const [kind, n = 0] of Object.entries(shed ?? {})) {
        total += n;
        shedding.counts[kind] = (shedding.counts[kind] ?? 0) + n;
      }
      if (first) {
        log.error(
          { maxQueueBytes, queued: queue.length, shed: shedding.counts },
          '[log] queue full: shedding the least valuable rows (hop rows first; never questions)',
        );
        shedding.counts = {};
      }
      if (queue.overCap && !shedding.overCapSaid) {
        shedding.overCapSaid = true;
        log.error(
          { bytes: queue.bytes, maxQueueBytes },
          '[log] queue past its cap with rows that are never shed (questions): held until written',
        );
      }
      return total;
    },
    /** On the writer's tick: the periodic count, or the all-clear. */
    tick(dropped: number): void {
      if (shedding === null) return;
      const fresh = Object.keys(shedding.counts).length > 0;
      if (fresh && clock() - shedding.since >= SHED_REPORT_MS) {
        log.error({ shed: shedding.counts, queued: queue.length, dropped }, '[log] still shedding rows');
        shedding = { since: clock(), counts: {}, overCapSaid: shedding.overCapSaid };
      } else if (!fresh && queue.bytes < maxQueueBytes / 2) {
        log.warn({ dropped, queued: queue.length }, '[log] queue under its cap again: no longer shedding');
        shedding = null;
      }
    },
  };
}
