// The interaction log's main-thread half, whatever the database (issue 5, issue 19): record* only
// pushes onto an in-memory queue; a timer (unref'ed) hands the queue, one batch at a time, to the
// driver's sink (sqlite.ts: the SQLite worker thread; postgres.ts: a pool), which writes a batch
// all or nothing. After a failure (read-only file, disk full, locked, the database down or cut
// off) its rows stay queued in order and the next tick retries them; each row carries a stable id
// (rowUid) from the moment it is queued, so a retry after a batch that committed but whose answer
// was lost doubles nothing (the PostgreSQL sink's ON CONFLICT DO NOTHING). The queue is capped in
// bytes (queue.ts): past it the least valuable rows are shed, counted in status().dropped and
// logged, so an outage that lasts for days costs rows, never the process or a hop's deadline.
// This file must not know the schema or any SQL: the sinks do.
import { randomBytes } from 'node:crypto';
import type { Logger } from '../logger.ts';
import { createRowQueue } from './queue.ts';
import { createShedReport } from './shed-report.ts';
import type { LogItem } from './statements.ts';
import type { InteractionLog, LogStatus } from './types.ts';

/** What a batch write did: rows refused as data were skipped, so that they cannot block the queue. */
export interface BatchResult {
  written: number;
  refused: { kind: LogItem['kind']; error: string }[];
}

/** Where a driver writes: each call may take as long as its database does; none runs on the loop's time. */
export interface LogSink {
  /** Connects and migrates the schema; a database that cannot be reached rejects (and is retried). */
  open(): Promise<void>;
  /** Records that rows from `at` on are hashed with the development secret (log/meta.ts). */
  markDevSecret(at: number): Promise<void>;
  /** Writes the batch in one transaction, rows refused as data skipped; rejects otherwise, writing nothing. */
  write(items: readonly LogItem[]): Promise<BatchResult>;
  /** Deletes rows older than `cutoff`, at most `limit` per table. */
  purge(cutoff: number, limit: number): Promise<{ deleted: number; more: boolean }>;
  close(): Promise<void>;
}

export interface QueuedLogOptions {
  sink: LogSink;
  /** How often the queue is written (LOG_FLUSH_MS). */
  flushMs: number;
  /** Rows older than this are purged once a day (LOG_RETENTION_DAYS), a chunk per write; 0 keeps them forever. */
  retentionDays: number;
  logger: Logger;
  clock?: () => number;
  /** Bytes of rows held while the database cannot be written (LOG_QUEUE_MAX_MB); past it rows are shed. */
  maxQueueBytes?: number;
  /** Rows per transaction. */
  batchSize?: number;
  /** Rows deleted per table per write while purging. */
  purgeChunk?: number;
  /** Phone hashes are made with the built-in development secret: the database is marked so (meta.ts). */
  devPhoneHashSecret?: boolean;
  /** What a stalled write says in status() ("the disk", "PostgreSQL"). */
  stalledWhat?: string;
}

export type QueuedLog = InteractionLog & {
  /** Deletes every row older than the retention period now, chunk after chunk; resolves how many. */
  purge(now?: number): Promise<number>;
};

export const MAX_QUEUE_BYTES = 64 * 1024 * 1024;
/** About 7 ms of the SQLite worker's time per transaction; one message per batch, never one per row. */
const BATCH_SIZE = 500;
/** With nothing queued the writer only wakes this often (the daily purge is checked then). */
const IDLE_TICK_MS = 1_000;
/** While writes keep failing the retry interval doubles up to this. */
const MAX_RETRY_MS = 5_000;
const DAY_MS = 86_400_000;
/** Rows deleted per table per write while purging: ~5 ms of the worker's time. */
const PURGE_CHUNK = 5_000;
/** A batch out this long without an answer: the database is stuck, and status() says so. */
const STALL_MS = 2_000;
/** close() waits this long for the writer (a stuck disk) before giving the rows up as lost. */
const CLOSE_WAIT_MS = 5_000;

// A row's id: time first (an index on it grows at one end, issue 7), then this process's random
// tag and a counter, so that ids from every replica and every restart differ.
const PROCESS_TAG = randomBytes(6).toString('hex');
let uidCounter = 0;
/** A new stable row id (log rows without one of their own). */
export function rowUid(at: number): string {
  return `${Math.max(0, Math.floor(at)).toString(36).padStart(9, '0')}.${PROCESS_TAG}.${(uidCounter++).toString(36)}`;
}

export function createQueuedLog(options: QueuedLogOptions): QueuedLog {
  const { sink, flushMs, retentionDays, logger } = options;
  const clock = options.clock ?? Date.now;
  const batchSize = options.batchSize ?? BATCH_SIZE;
  const purgeChunkSize = options.purgeChunk ?? PURGE_CHUNK;
  const maxQueueBytes = options.maxQueueBytes ?? MAX_QUEUE_BYTES;
  const stalledWhat = options.stalledWhat ?? 'the disk';
  const log = logger.child({ layer: 'log' });

  const queue = createRowQueue(maxQueueBytes);
  let failures = 0;
  let streak = 0;
  let written = 0;
  let dropped = 0;
  let rejected = 0;
  let lastError: string | undefined;
  let opened = false;
  let closed = false;
  let draining: Promise<void> | null = null;
  /** When the batch now out to the sink was sent; null when none is. */
  let sentAt: number | null = null;
  let nextPurgeAt = 0;
  /** Rows deleted so far by the purge under way. */
  let purged = 0;
  let timer: NodeJS.Timeout | undefined;
  /** The timer is the idle tick: the next row re-arms it at flushMs. */
  let idle = false;
  const shedReport = createShedReport({ log, clock, queue, maxQueueBytes });

  const push = (item: LogItem): void => {
    if (closed) {
      dropped++;
      return;
    }
    item.uid ??= rowUid(clock());
    const shed = queue.push(item);
    if (shed !== null || queue.overCap) dropped += shedReport.note(shed);
    // The first row after a quiet spell: written flushMs from now, not at the next idle tick.
    if (idle && queue.length === 1) {
      clearTimeout(timer);
      arm(flushMs);
    }
  };

  function fail(err: unknown, during: string): void {
    failures++;
    streak++;
    const code = (err as { code?: unknown })?.code;
    const message = ((err as Error)?.message ?? String(err)).replace(/^\[(sqlite|postgres)\] /, '');
    lastError = `${during}: ${typeof code === 'string' && !message.includes(code) ? `${code} ` : ''}${message}`;
    const fields = { err: lastError, failures, queued: queue.length };
    if (streak === 1) log.warn(fields, '[log] write failed; rows stay queued and will be retried');
    else log.debug(fields, '[log] write failed again');
  }

  function succeed(): void {
    if (streak > 0) log.info({ failures, queued: queue.length }, '[log] writing again');
    streak = 0;
  }

  /** One chunk of the purge: the rows deleted and whether more are due, or null when it failed. */
  async function purgeChunk(now: number): Promise<{ deleted: number; more: boolean } | null> {
    if (retentionDays <= 0) return { deleted: 0, more: false };
    try {
      const chunk = await sink.purge(now - retentionDays * DAY_MS, purgeChunkSize);
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

  /**
   * Writes batch after batch until the queue is empty or a batch fails; on the timer's tick only
   * while a whole batch is waiting (a backlog). Rows that arrived while a batch was out wait for
   * the next tick: written at once, each batch would hold a few rows, and a transaction and a
   * sessions upsert per few rows cost the worker twice the CPU per hop (measured in bench:hop).
   */
  async function drain(untilEmpty: boolean): Promise<void> {
    if (!opened) {
      // At start, so that the schema is migrated and a database that cannot be opened says so at once.
      try {
        await sink.open();
        if (options.devPhoneHashSecret) await sink.markDevSecret(clock());
        opened = true;
      } catch (err) {
        fail(err, 'open');
        return;
      }
    }
    for (;;) {
      if (clock() >= nextPurgeAt) {
        const chunk = await purgeChunk(clock());
        if (chunk === null) return;
        // With more to delete, the next write deletes the next chunk; then not before tomorrow.
        if (!chunk.more) nextPurgeAt = clock() + DAY_MS;
      }
      if (queue.length === 0) {
        succeed();
        return;
      }
      const batch = queue.take(batchSize);
      let result: BatchResult;
      sentAt = clock();
      try {
        result = await sink.write(batch.items);
      } catch (err) {
        queue.release(batch);
        fail(err, 'write');
        return;
      } finally {
        sentAt = null;
      }
      queue.commit(batch);
      written += result.written;
      rejected += result.refused.length;
      for (const r of result.refused) log.error({ kind: r.kind, err: r.error }, '[log] row refused; skipped');
      succeed();
      if (queue.length === 0 || (!untilEmpty && queue.length < batchSize)) return;
    }
  }

  function flushNow(untilEmpty = true): Promise<void> {
    draining ??= drain(untilEmpty).finally(() => {
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
    shedReport.tick(dropped);
    if (streak > 0) arm(Math.max(flushMs, Math.min(flushMs * 2 ** Math.min(streak, 16), MAX_RETRY_MS)));
    else if (queue.length > 0) arm(flushMs);
    else arm(Math.max(flushMs, IDLE_TICK_MS), true);
  }

  function arm(delay: number, quiet = false): void {
    idle = quiet;
    timer = setTimeout(() => {
      idle = false;
      void flushNow(false).then(schedule);
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
      const stalledMs = sentAt === null ? 0 : clock() - sentAt;
      const stalled = stalledMs > STALL_MS;
      const s: LogStatus = {
        ok: streak === 0 && !stalled,
        queued: queue.length,
        queuedBytes: queue.bytes,
        failures,
        written,
        dropped,
        rejected,
      };
      if (stalled) s.lastError = `write: no answer from ${stalledWhat} for ${stalledMs} ms`;
      else if (lastError !== undefined) s.lastError = lastError;
      return s;
    },
    flush: async () => {
      await draining;
      await flushNow();
    },
    async purge(now = clock()) {
      let deleted = 0;
      for (;;) {
        const chunk = await purgeChunk(now);
        if (chunk === null) return deleted;
        deleted += chunk.deleted;
        if (!chunk.more) return deleted;
      }
    },
    async close() {
      closed = true;
      clearTimeout(timer);
      const drained = (async () => {
        await draining;
        await flushNow();
      })();
      let waited: NodeJS.Timeout | undefined;
      await Promise.race([drained, new Promise((resolve) => (waited = setTimeout(resolve, CLOSE_WAIT_MS)))]);
      clearTimeout(waited);
      if (queue.length > 0) log.error({ lost: queue.clear(), lastError }, '[log] closed with rows unwritten');
      await sink.close();
    },
  };
}
