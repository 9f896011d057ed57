// The PostgreSQL driver of the interaction log (issue 19): the queue and its timer are
// log/queued.ts's, as for SQLite; this is the sink, a batch per transaction on the process's pool
// (postgres/pool.ts), its rows written by postgres-batch.ts. PostgreSQL down, restarting or slow
// costs the hops nothing: record* only queues, the writes run on the pool's sockets, each bounded
// (WRITE_MS), and a batch that failed stays queued (capped in bytes: LOG_QUEUE_MAX_MB) until it
// is written, once, however many times it was tried (every row has a stable id).
// Several replicas write to one database: each writes its own rows; a session whose hops went to
// several replicas is one sessions row, each batch adding the hops it inserted.
import type { Logger } from '../logger.ts';
import { createPostgres, type Postgres } from '../postgres/database.ts';
import { isDataError } from '../postgres/pool.ts';
import { purgeOlder, writeItems } from './postgres-batch.ts';
import {
  type BatchResult,
  createQueuedLog,
  type LogSink,
  type QueuedLog,
  type QueuedLogOptions,
} from './queued.ts';

export type PostgresLogOptions = Omit<QueuedLogOptions, 'sink' | 'stalledWhat'> & {
  url: string;
  /** The database shared with the records store; without it the log makes its own for `url`. */
  db?: Postgres;
  logger: Logger;
};

export type PostgresLog = QueuedLog;

/** A batch (or a chunk of the purge) not done in this long is retried later. */
const WRITE_MS = 10_000;
const MIGRATE_MS = 120_000;

export function createPostgresLog(options: PostgresLogOptions): PostgresLog {
  const { url, db: shared, ...rest } = options;
  const ownPool = shared === undefined;
  const pool = shared ?? createPostgres({ url, logger: options.logger });
  const soon = (ms = WRITE_MS) => Date.now() + ms;

  const sink: LogSink = {
    open: () => pool.ready(soon(MIGRATE_MS)),
    async markDevSecret(at) {
      await pool.withClient(
        (c) =>
          c.query(
            `INSERT INTO meta (key, value) VALUES ('dev_phone_hash_secret_since', $1) ON CONFLICT (key) DO NOTHING`,
            [String(at)],
          ),
        soon(),
        'markDevSecret',
      );
    },
    async write(items): Promise<BatchResult> {
      try {
        await pool.transaction((c) => writeItems(c, items), soon(), 'write');
        return { written: items.length, refused: [] };
      } catch (err) {
        if (!isDataError(err)) throw err;
      }
      // A row's data was refused (the whole batch rolled back): each row in a savepoint, so the
      // refused ones are skipped whole and the rest written; slower, and only after such a batch.
      return pool.transaction(
        async (c) => {
          const refused: BatchResult['refused'] = [];
          for (const item of items) {
            await c.query('SAVEPOINT one');
            try {
              await writeItems(c, [item]);
              await c.query('RELEASE SAVEPOINT one');
            } catch (err) {
              if (!isDataError(err)) throw err;
              await c.query('ROLLBACK TO SAVEPOINT one');
              refused.push({ kind: item.kind, error: (err as Error).message });
            }
          }
          return { written: items.length - refused.length, refused };
        },
        soon(),
        'write',
      );
    },
    purge: (cutoff, limit) => pool.transaction((c) => purgeOlder(c, cutoff, limit), soon(), 'purge'),
    async close() {
      if (ownPool) await pool.close();
    },
  };
  return createQueuedLog({ ...rest, sink, stalledWhat: 'PostgreSQL' });
}
