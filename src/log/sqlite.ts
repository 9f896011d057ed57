// The SQLite driver of the interaction log (issue 5). record* only pushes onto an in-memory queue:
// no SQLite call ever runs on a hop's path. A timer (unref'ed) writes the queue in batched
// transactions; a batch is all-or-nothing, so after a failure (read-only file, disk full, locked,
// directory missing) its rows stay queued in order and the next tick retries them without doubling
// any. The queue is capped (MAX_QUEUE rows by default): beyond it the oldest rows are dropped and
// counted in status().dropped, so an outage that lasts for days costs rows, never the process.
// This file must not know the report's queries, the schema's SQL (migrations.ts, statements.ts) or
// how a batch becomes a transaction (connection.ts).
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import BetterSqlite3, { type Database } from 'better-sqlite3';
import type { Logger } from '../logger.ts';
import { type Connection, connect } from './connection.ts';
import { markDevSecret } from './meta.ts';
import { migrate } from './migrations.ts';
import type { LogItem } from './statements.ts';
import type { InteractionLog, LogStatus } from './types.ts';

export interface SqliteLogOptions {
  path: string;
  /** How often the queue is written (LOG_FLUSH_MS). */
  flushMs: number;
  /**
   * Rows older than this are purged once a day (LOG_RETENTION_DAYS), a few thousand per write so
   * that a day's rows never hold the event loop long; 0 keeps them forever.
   */
  retentionDays: number;
  logger: Logger;
  clock?: () => number;
  /** Rows held while the database cannot be written; beyond it the oldest are dropped. */
  maxQueue?: number;
  /** Rows per transaction; the event loop gets a turn between batches. */
  batchSize?: number;
  /** Rows deleted per table per write while purging. */
  purgeChunk?: number;
  /** Phone hashes are made with the built-in development secret: the file is marked so (meta.ts). */
  devPhoneHashSecret?: boolean;
}

export type SqliteLog = InteractionLog & {
  /** Deletes every row older than the retention period now, chunk after chunk; returns how many. */
  purge(now?: number): number;
};

export const MAX_QUEUE = 100_000;
/** About 7 ms of writing per transaction: a backlog after an outage never stalls hops for long. */
const BATCH_SIZE = 500;
/** Short, so a database locked by someone else blocks the event loop for 100 ms at most per try. */
export const BUSY_TIMEOUT_MS = 100;
/** With nothing queued the writer only wakes this often (the daily purge is checked then). */
const IDLE_TICK_MS = 1_000;
/** While writes keep failing the retry interval doubles up to this. */
const MAX_RETRY_MS = 5_000;
const DAY_MS = 86_400_000;
/** Rows deleted per table per write while purging: ~5 ms of the event loop at most. */
const PURGE_CHUNK = 5_000;
/** The writer's page cache: enough for the B-tree pages an append touches. */
const PAGE_CACHE_KIB = 2048;

export function createSqliteLog(options: SqliteLogOptions): SqliteLog {
  const { path, flushMs, retentionDays, logger } = options;
  const clock = options.clock ?? Date.now;
  const maxQueue = options.maxQueue ?? MAX_QUEUE;
  const batchSize = options.batchSize ?? BATCH_SIZE;
  const purgeChunkSize = options.purgeChunk ?? PURGE_CHUNK;
  const log = logger.child({ layer: 'log' });

  const queue: LogItem[] = [];
  let conn: Connection | null = null;
  let ok = false;
  let failures = 0;
  let streak = 0;
  let written = 0;
  let dropped = 0;
  let rejected = 0;
  let lastError: string | undefined;
  let closed = false;
  /** Set once close() is done: nothing may open the file again. */
  let shut = false;
  let draining: Promise<void> | null = null;
  let nextPurgeAt = 0;
  /** Rows deleted so far by the purge under way. */
  let purged = 0;
  let timer: NodeJS.Timeout | undefined;
  /** The timer is the idle tick: the next row re-arms it at flushMs. */
  let idle = false;

  const push = (item: LogItem): void => {
    if (closed) {
      dropped++;
      return;
    }
    if (queue.length >= maxQueue) {
      queue.shift();
      if (dropped++ === 0) log.error({ maxQueue }, '[log] queue full: dropping the oldest rows');
    }
    queue.push(item);
    // The first row after a quiet spell: written flushMs from now, not at the next idle tick.
    if (idle && queue.length === 1) {
      clearTimeout(timer);
      arm(flushMs);
    }
  };

  function open(): Connection | null {
    if (conn || shut) return conn;
    let db: Database | undefined;
    try {
      if (path !== ':memory:') mkdirSync(dirname(path), { recursive: true });
      db = new BetterSqlite3(path, { timeout: BUSY_TIMEOUT_MS });
      db.pragma('journal_mode = WAL');
      db.pragma('synchronous = NORMAL');
      // This connection only appends (and purges once a day): better-sqlite3's default 16 MB page
      // cache would fill with pages it never reads again, as resident memory (issue 7, RSS target).
      db.pragma(`cache_size = -${PAGE_CACHE_KIB}`);
      const applied = migrate(db);
      if (applied.length > 0) log.info({ applied }, '[log] schema migrated');
      if (options.devPhoneHashSecret) markDevSecret(db, clock());
      conn = connect(db, (item, err) => {
        log.error({ kind: item.kind, err: (err as Error).message }, '[log] row refused; skipped');
      });
      return conn;
    } catch (err) {
      safeClose(db);
      fail(err, 'open');
      return null;
    }
  }

  function fail(err: unknown, during: string): void {
    failures++;
    streak++;
    ok = false;
    const code = (err as { code?: unknown })?.code;
    lastError = `${during}: ${typeof code === 'string' ? `${code} ` : ''}${(err as Error)?.message ?? String(err)}`;
    // A lock passes; anything else (read-only, I/O error, full, gone) may have left the connection
    // unusable, so it is closed and the next tick opens the file again.
    if (!(typeof code === 'string' && /^SQLITE_(BUSY|LOCKED)/.test(code))) {
      safeClose(conn?.db);
      conn = null;
    }
    const fields = { err: lastError, failures, queued: queue.length };
    if (streak === 1) log.warn(fields, '[log] write failed; rows stay queued and will be retried');
    else log.debug(fields, '[log] write failed again');
  }

  function succeed(): void {
    if (streak > 0) log.info({ failures, queued: queue.length }, '[log] writing again');
    streak = 0;
    ok = true;
  }

  /** One chunk of the purge: the rows deleted and whether more are due, or null when it failed. */
  function purgeChunk(now: number): { deleted: number; more: boolean } | null {
    if (retentionDays <= 0) return { deleted: 0, more: false };
    const c = open();
    if (!c) return null;
    try {
      const chunk = c.purge(now - retentionDays * DAY_MS, purgeChunkSize);
      // One line per purge, not per chunk: a busy day's rows take a few hundred chunks.
      purged += chunk.deleted;
      if (!chunk.more && purged > 0) {
        log.info({ deleted: purged, retentionDays }, '[log] purged old rows');
        purged = 0;
      }
      return chunk;
    } catch (err) {
      fail(err, 'purge');
      return null;
    }
  }

  /** Writes batch after batch until the queue is empty or a batch fails. */
  async function drain(): Promise<void> {
    for (;;) {
      const c = open();
      if (!c) return;
      if (clock() >= nextPurgeAt) {
        const chunk = purgeChunk(clock());
        if (chunk === null) return;
        // With more to delete, the next write deletes the next chunk; then not before tomorrow.
        if (!chunk.more) nextPurgeAt = clock() + DAY_MS;
      }
      if (queue.length === 0) {
        succeed();
        return;
      }
      const batch = queue.slice(0, batchSize);
      let skipped: number;
      try {
        skipped = c.writeBatch(batch);
      } catch (err) {
        fail(err, 'write');
        return;
      }
      // Synchronous with the transaction above: nothing can push or drop between commit and here.
      queue.splice(0, batch.length);
      written += batch.length - skipped;
      rejected += skipped;
      succeed();
      if (queue.length === 0) return;
      await new Promise<void>((resolve) => setImmediate(resolve));
    }
  }

  function flushNow(): Promise<void> {
    draining ??= drain().finally(() => {
      draining = null;
    });
    return draining;
  }

  /**
   * Arms the next write: flushMs after rows arrive, backing off while writes fail, and a slow idle
   * tick with nothing queued (for the daily purge), so a quiet gateway does not wake every flushMs.
   */
  function schedule(): void {
    if (closed) return;
    if (streak > 0) arm(Math.max(flushMs, Math.min(flushMs * 2 ** Math.min(streak, 16), MAX_RETRY_MS)));
    else if (queue.length > 0) arm(flushMs);
    else arm(Math.max(flushMs, IDLE_TICK_MS), true);
  }

  function arm(delay: number, quiet = false): void {
    idle = quiet;
    timer = setTimeout(() => {
      idle = false;
      void flushNow().then(schedule);
    }, delay);
    timer.unref();
  }

  // At start: open (a failure is counted and retried by the timer), purge, and start ticking.
  void flushNow();
  schedule();

  return {
    recordHop: (row) => push({ kind: 'hop', row }),
    recordQuestion: (row) => push({ kind: 'question', row }),
    recordSessionEnd: (row) => push({ kind: 'session-end', row }),
    recordFeedback: (row) => push({ kind: 'feedback', row }),
    recordTier: (row) => push({ kind: 'tier', row }),
    recordDelivery: (row) => push({ kind: 'delivery', row }),
    recordSms: (row) => push({ kind: 'sms', row }),
    recordSmsReport: (row) => push({ kind: 'sms-report', row }),
    status(): LogStatus {
      const s: LogStatus = { ok, queued: queue.length, failures, written, dropped, rejected };
      if (lastError !== undefined) s.lastError = lastError;
      return s;
    },
    flush: async () => {
      await draining;
      await flushNow();
    },
    purge(now = clock()) {
      let deleted = 0;
      for (;;) {
        const chunk = purgeChunk(now);
        if (chunk === null) return deleted;
        deleted += chunk.deleted;
        if (!chunk.more) return deleted;
      }
    },
    async close() {
      closed = true;
      clearTimeout(timer);
      await draining;
      await flushNow();
      if (queue.length > 0) log.error({ lost: queue.length, lastError }, '[log] closed with rows unwritten');
      shut = true;
      safeClose(conn?.db);
      conn = null;
    },
  };
}

function safeClose(db: Database | undefined): void {
  try {
    db?.close();
  } catch {
    // The connection is being discarded; a failing close has nothing left to protect.
  }
}
