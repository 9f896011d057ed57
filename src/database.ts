// Which database the gateway keeps its interaction log and records in (issue 19), for main.ts:
// SQLite at DATABASE_PATH, the embedded default (one worker thread owns the file: no disk call
// runs on the event loop, issue 15 item 8), or PostgreSQL at DATABASE_URL, shared by every replica
// (one pool per process). Builds the log, the records store and what the admin report reads, and
// closes them in order. Must not decide anything else.
import type { Config } from './config.ts';
import { createPostgresLog } from './log/postgres.ts';
import { createSqliteLog } from './log/sqlite.ts';
import type { InteractionLog } from './log/types.ts';
import type { Logger } from './logger.ts';
import { createPostgres } from './postgres/database.ts';
import { createPostgresRecords } from './records/postgres.ts';
import { createSqliteRecords } from './records/sqlite.ts';
import type { RecordsStore } from './records/types.ts';
import type { ReportSource } from './report/report-thread.ts';
import { createSqliteThread } from './sqlite/thread.ts';

export interface Database {
  driver: 'sqlite' | 'postgres';
  log: InteractionLog;
  records: RecordsStore;
  /** Where the admin report reads (on its worker thread). */
  report: ReportSource;
  /** Flushes the log, then closes the records store and the connection. */
  close(): Promise<void>;
}

export function createDatabase(config: Config, logger: Logger): Database {
  const logOptions = {
    flushMs: config.LOG_FLUSH_MS,
    retentionDays: config.LOG_RETENTION_DAYS,
    maxQueueBytes: config.LOG_QUEUE_MAX_MB * 1024 * 1024,
    logger,
    // The database remembers it, and the report and /admin say so (issue 15).
    devPhoneHashSecret: !config.PHONE_HASH_SECRET,
  };
  const url = config.DATABASE_URL;
  if (url !== undefined) {
    const db = createPostgres({ url, logger });
    const log = createPostgresLog({ ...logOptions, url, db });
    const records = createPostgresRecords({ url, db, logger });
    return {
      driver: 'postgres',
      log,
      records,
      report: { kind: 'postgres', url },
      async close() {
        await log.close();
        await records.close();
        await db.close();
      },
    };
  }
  const path = config.DATABASE_PATH;
  const thread = createSqliteThread({ path, logger });
  const log = createSqliteLog({ ...logOptions, path, thread });
  const records = createSqliteRecords({ path, thread, logger });
  return {
    driver: 'sqlite',
    log,
    records,
    report: { kind: 'sqlite', path },
    async close() {
      await log.close();
      await records.close();
      await thread.close();
    },
  };
}
