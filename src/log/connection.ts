// The log writer's transactions on the SQLite worker thread (sqlite/sqlite-worker.ts runs
// LOG_HANDLERS): a batch all or nothing, row by row only after a row's data was refused, and a
// chunk of the purge. Knows nothing of queues, retries or timers (log/sqlite.ts, main thread).
import type { Database } from 'better-sqlite3';
import type { OpenFile } from '../sqlite/file.ts';
import { markDevSecret } from './meta.ts';
import type { BatchResult } from './queued.ts';
import { createLogWriter, type LogItem } from './statements.ts';
import type { HopRow } from './types.ts';
import { decodeBatch, type WireBatch } from './wire.ts';

export type { BatchResult } from './queued.ts';

export interface Connection {
  /** One transaction. Throws on anything but a row's data (I/O, locks, space, read-only). */
  writeBatch(items: readonly LogItem[]): BatchResult;
  purge(cutoff: number, limit: number): { deleted: number; more: boolean };
}

/** The worker's handlers for the log, by name (log/sqlite.ts calls them). */
export const LOG_HANDLERS = {
  'log.write': (file: OpenFile, batch: WireBatch) => logConnection(file).writeBatch(decodeBatch(batch)),
  'log.purge': (file: OpenFile, args: { cutoff: number; limit: number }) =>
    logConnection(file).purge(args.cutoff, args.limit),
  'log.markDevSecret': (file: OpenFile, args: { at: number }) => {
    file.guard();
    markDevSecret(file.writer, args.at);
    return null;
  },
};

const logConnection = (file: OpenFile) => file.prepared('log', (f) => connect(f.writer, f.guard));

/**
 * `beforeCommit` runs as the last step of each transaction: the file's writability check, so that
 * a `-shm` made immutable during the batch is caught before COMMIT writes into its mapping
 * (sqlite/file.ts, SIGBUS).
 */
export function connect(db: Database, beforeCommit: () => void = () => {}): Connection {
  const writer = createLogWriter(db);
  const plain = db.transaction((items: readonly LogItem[]) => {
    const hops: HopRow[] = [];
    for (const item of items) {
      writer.write(item);
      if (item.kind === 'hop') hops.push(item.row);
    }
    writer.touchSessions(hops);
    beforeCommit();
  });
  // Only after a batch failed on a row's data: each row, with its sessions row, in a savepoint (a
  // third slower), so the refused row is skipped whole and the rest are written.
  const writeOne = db.transaction((item: LogItem) => {
    writer.write(item);
    if (item.kind === 'hop') writer.touchSessions([item.row]);
  });
  const careful = db.transaction((items: readonly LogItem[]) => {
    const refused: BatchResult['refused'] = [];
    for (const item of items) {
      try {
        writeOne(item);
      } catch (err) {
        if (!isDataError(err)) throw err;
        refused.push({ kind: item.kind, error: (err as Error).message });
      }
    }
    beforeCommit();
    return refused;
  });
  const purge = db.transaction((cutoff: number, limit: number) => {
    const done = writer.purge(cutoff, limit);
    beforeCommit();
    return done;
  });
  // BEGIN IMMEDIATE takes the write lock up front, where the busy timeout applies; a deferred
  // transaction upgrading from read to write could fail with SQLITE_BUSY_SNAPSHOT instead.
  return {
    writeBatch(items) {
      try {
        plain.immediate(items);
        return { written: items.length, refused: [] };
      } catch (err) {
        if (!isDataError(err)) throw err;
        const refused = careful.immediate(items);
        return { written: items.length - refused.length, refused };
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
