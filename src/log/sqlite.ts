// The SQLite driver of the interaction log (issue 5), main-thread side. record* only pushes onto
// an in-memory queue; a timer (unref'ed) posts the queue, one batch at a time, to the SQLite worker
// thread (sqlite/thread.ts), where it is written in one transaction: no disk call ever runs on the
// event loop (issue 15 item 8), so a disk that stalls for seconds stalls only the writer. A batch
// is all-or-nothing, so after a failure (read-only file, disk full, locked, directory missing)
// its rows stay queued in order and the next tick retries them without doubling any. The queue is
// capped in bytes (queue.ts): past it the least valuable rows are shed, counted in
// status().dropped and logged, so an outage that lasts for days costs rows, never the process.
// This file must not know the schema's SQL (migrations.ts, statements.ts) or how a batch becomes
// a transaction (connection.ts, on the worker).
import type { Logger } from '../logger.ts';
import { createSqliteThread, type SqliteThread } from '../sqlite/thread.ts';
import type { BatchResult } from './connection.ts';
import { createRowQueue } from './queue.ts';
import { createShedReport } from './shed-report.ts';
import type { LogItem } from './statements.ts';
import type { InteractionLog, LogStatus } from './types.ts';
import { encodeBatch } from './wire.ts';

export interface SqliteLogOptions {
  path: string;
  /** The worker thread to write through, shared with the records store; without it the log starts its own. */
  thread?: SqliteThread;
  /** How often the queue is written (LOG_FLUSH_MS). */
  flushMs: number;
  /** Rows older than this are purged once a day (LOG_RETENTION_DAYS), a chunk per write; 0 keeps them forever. */
  retentionDays: number;
  logger: Logger;
  clock?: () => number;
  /** Bytes of rows held while the database cannot be written (LOG_QUEUE_MAX_MB); past it rows are shed. */
  maxQueueBytes?: number;
  /** Rows per transaction (one message to the worker). */
  batchSize?: number;
  /** Rows deleted per table per write while purging. */
  purgeChunk?: number;
  /** Phone hashes are made with the built-in development secret: the file is marked so (meta.ts). */
  devPhoneHashSecret?: boolean;
}

export type SqliteLog = InteractionLog & {
  /** Deletes every row older than the retention period now, chunk after chunk; resolves how many. */
  purge(now?: number): Promise<number>;
};

export const MAX_QUEUE_BYTES = 64 * 1024 * 1024;
/** About 7 ms of the worker's time per transaction; one message per batch, never one per row. */
const BATCH_SIZE = 500;
/** With nothing queued the writer only wakes this often (the daily purge is checked then). */
const IDLE_TICK_MS = 1_000;
/** While writes keep failing the retry interval doubles up to this. */
const MAX_RETRY_MS = 5_000;
const DAY_MS = 86_400_000;
/** Rows deleted per table per write while purging: ~5 ms of the worker's time. */
const PURGE_CHUNK = 5_000;
/** A batch out this long without an answer: the disk is stuck, and status() says so. */
const STALL_MS = 2_000;
/** close() waits this long for the writer (a stuck disk) before giving the rows up as lost. */
const CLOSE_WAIT_MS = 5_000;

export function createSqliteLog(options: SqliteLogOptions): SqliteLog {
  const { flushMs, retentionDays, logger } = options;
  const clock = options.clock ?? Date.now;
  const batchSize = options.batchSize ?? BATCH_SIZE;
  const purgeChunkSize = options.purgeChunk ?? PURGE_CHUNK;
  const maxQueueBytes = options.maxQueueBytes ?? MAX_QUEUE_BYTES;
  const log = logger.child({ layer: 'log' });
  const ownThread = options.thread === undefined;
  const thread = options.thread ?? createSqliteThread({ path: options.path, logger });

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
  /** When the batch now out to the worker was sent; null when none is. */
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
    const message = ((err as Error)?.message ?? String(err)).replace(/^\[sqlite\] /, '');
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
      const chunk = await thread.call<{ deleted: number; more: boolean }>('log.purge', {
        cutoff: now - retentionDays * DAY_MS,
        limit: purgeChunkSize,
      });
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
      // At start, so that the schema is migrated and a file that cannot be opened says so at once.
      try {
        await thread.call('open');
        if (options.devPhoneHashSecret) await thread.call('log.markDevSecret', { at: clock() });
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
        result = await thread.call<BatchResult>('log.write', encodeBatch(batch.items));
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
      if (stalled) s.lastError = `write: no answer from the disk for ${stalledMs} ms`;
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
      if (ownThread) await thread.close();
    },
  };
}
