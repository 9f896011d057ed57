// One SQLite connection's write transactions for the log writer (sqlite.ts): a batch all or
// nothing, row by row only after a row's data was refused, and a chunk of the purge. Knows nothing
// of queues, retries or timers.
import type { Database } from 'better-sqlite3';
import { createLogWriter, type LogItem } from './statements.ts';
import type { HopRow } from './types.ts';

export interface Connection {
  db: Database;
  /** One transaction; returns how many rows were refused as data and skipped. Throws on anything else. */
  writeBatch(items: readonly LogItem[]): number;
  purge(cutoff: number, limit: number): { deleted: number; more: boolean };
}

export function connect(db: Database, onRefused: (item: LogItem, err: unknown) => void): Connection {
  const writer = createLogWriter(db);
  const plain = db.transaction((items: readonly LogItem[]) => {
    const hops: HopRow[] = [];
    for (const item of items) {
      writer.write(item);
      if (item.kind === 'hop') hops.push(item.row);
    }
    writer.touchSessions(hops);
    return 0;
  });
  // Only after a batch failed on a row's data: each row, with its sessions row, in a savepoint (a
  // third slower), so the refused row is skipped whole and the rest are written.
  const writeOne = db.transaction((item: LogItem) => {
    writer.write(item);
    if (item.kind === 'hop') writer.touchSessions([item.row]);
  });
  const careful = db.transaction((items: readonly LogItem[]) => {
    let skipped = 0;
    for (const item of items) {
      try {
        writeOne(item);
      } catch (err) {
        if (!isDataError(err)) throw err;
        skipped++;
        onRefused(item, err);
      }
    }
    return skipped;
  });
  const purge = db.transaction((cutoff: number, limit: number) => writer.purge(cutoff, limit));
  // BEGIN IMMEDIATE takes the write lock up front, where the busy timeout applies; a deferred
  // transaction upgrading from read to write could fail with SQLITE_BUSY_SNAPSHOT instead.
  return {
    db,
    writeBatch(items) {
      try {
        return plain.immediate(items);
      } catch (err) {
        if (!isDataError(err)) throw err;
        return careful.immediate(items);
      }
    },
    purge: (cutoff, limit) => purge.immediate(cutoff, limit),
  };
}

/** Errors about the row itself, which retrying cannot fix (as opposed to I/O, locks, space). */
function isDataError(err: unknown): boolean {
  if (err instanceof TypeError || err instanceof RangeError) return true;
  const code = (err as { code?: unknown })?.code;
  return typeof code === 'string' && /^SQLITE_(CONSTRAINT|MISMATCH|TOOBIG|RANGE)/.test(code);
}
