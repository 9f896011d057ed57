// The SQLite driver of the interaction log (issue 5): the queue and its timer are log/queued.ts's;
// this is the sink it writes to, the SQLite worker thread (sqlite/thread.ts), where each batch is
// one transaction (connection.ts): no disk call ever runs on the event loop (issue 15 item 8), so
// a disk that stalls for seconds stalls only the writer.
// This file must not know the schema's SQL (migrations.ts, statements.ts) or how a batch becomes
// a transaction (connection.ts, on the worker).
import type { Logger } from '../logger.ts';
import { createSqliteThread, type SqliteThread } from '../sqlite/thread.ts';
import {
  type BatchResult,
  createQueuedLog,
  type LogSink,
  type QueuedLog,
  type QueuedLogOptions,
} from './queued.ts';
import { encodeBatch } from './wire.ts';

export { MAX_QUEUE_BYTES } from './queued.ts';

export type SqliteLogOptions = Omit<QueuedLogOptions, 'sink' | 'stalledWhat'> & {
  path: string;
  /** The worker thread to write through, shared with the records store; without it the log starts its own. */
  thread?: SqliteThread;
  logger: Logger;
};

export type SqliteLog = QueuedLog;

export function createSqliteLog(options: SqliteLogOptions): SqliteLog {
  const { path, thread: shared, ...rest } = options;
  const ownThread = shared === undefined;
  const thread = shared ?? createSqliteThread({ path, logger: options.logger });
  const sink: LogSink = {
    open: async () => {
      await thread.call('open');
    },
    markDevSecret: async (at) => {
      await thread.call('log.markDevSecret', { at });
    },
    write: (items) => thread.call<BatchResult>('log.write', encodeBatch(items)),
    purge: (cutoff, limit) => thread.call<{ deleted: number; more: boolean }>('log.purge', { cutoff, limit }),
    close: async () => {
      if (ownThread) await thread.close();
    },
  };
  return createQueuedLog({ ...rest, sink });
}
