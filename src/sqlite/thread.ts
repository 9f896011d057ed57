// The main thread's side of the SQLite worker (sqlite-worker.ts): requests by name, answered in
// the order sent, each bounded by its caller's deadline. The interaction log (log/sqlite.ts) and
// the records store (records/sqlite.ts) share one thread and one write connection, so they never
// wait for each other's locks and the process carries one more V8 heap, not two.
// Nothing here touches the disk. A thread that dies (it should not) fails the requests it held
// and is started again; it does not outlive close().
import { Worker } from 'node:worker_threads';
import { DatabaseError } from '../errors.ts';
import type { Logger } from '../logger.ts';
import { startDevWorker } from './dev-worker.ts';

/** What the worker is started with. */
export interface ThreadOptions {
  path: string;
  busyTimeoutMs: number;
  cacheKib: number;
}

export interface ThreadRequest {
  id: number;
  op: string;
  args: unknown;
  /** Epoch ms after which the worker does not start it (0: no deadline). */
  notAfter: number;
}

export type ThreadReply =
  | { id: number; ok: true; value: unknown }
  | { id: number; ok: false; code: string; message: string }
  | { log: { level: 'info' | 'warn' | 'error'; msg: string; fields: Record<string, unknown> } };

export interface CallOptions {
  /** Epoch ms: the call rejects (DEADLINE) if not answered by then, and is not started after it. */
  deadline?: number;
}

export interface SqliteThread {
  readonly path: string;
  /** Runs the worker's handler `op`; rejects with a DatabaseError. */
  call<R>(op: string, args?: unknown, options?: CallOptions): Promise<R>;
  /** Closes the file and ends the thread (what was sent before is answered first). */
  close(): Promise<void>;
}

/** Short: with the writer on its own thread a lock costs no hop, but a caller may be waiting. */
export const BUSY_TIMEOUT_MS = 100;
/** Each connection's page cache: enough for the B-tree pages an append touches. */
const PAGE_CACHE_KIB = 2048;
/** close() waits this long for the worker to close the file (a stuck disk may never let it). */
const CLOSE_WAIT_MS = 5_000;
/** A thread that died is started again after this. */
const RESTART_MS = 1_000;
/**
 * The worker's heap. What lives there is one batch of rows at a time; small young generations
 * keep its resident memory small (issue 7's RSS target counts every thread).
 */
const RESOURCE_LIMITS = { maxOldGenerationSizeMb: 32, maxYoungGenerationSizeMb: 2 };

// Under tsx or vitest (development, tests) the worker is the .ts source (dev-worker.ts); in the
// `npm run build` bundle it is sqlite-worker.js beside main.js.
const WORKER_URL = new URL(
  import.meta.url.endsWith('.ts') ? './sqlite-worker.ts' : './sqlite-worker.js',
  import.meta.url,
);

export function createSqliteThread(options: { path: string; logger: Logger }): SqliteThread {
  const { path, logger } = options;
  const log = logger.child({ layer: 'sqlite' });
  const threadOptions: ThreadOptions = { path, busyTimeoutMs: BUSY_TIMEOUT_MS, cacheKib: PAGE_CACHE_KIB };
  const pending = new Map<
    number,
    { resolve: (v: unknown) => void; reject: (e: Error) => void; timer?: NodeJS.Timeout }
  >();
  let nextId = 0;
  let worker: Worker | null = null;
  let closing: Promise<void> | null = null;
  let restartTimer: NodeJS.Timeout | undefined;

  const settle = (
    id: number,
    outcome: (p: { resolve: (v: unknown) => void; reject: (e: Error) => void }) => void,
  ) => {
    const p = pending.get(id);
    if (p === undefined) return; // already timed out
    pending.delete(id);
    clearTimeout(p.timer);
    outcome(p);
    // Referenced only while someone waits for an answer: an idle log keeps no process alive.
    if (pending.size === 0) worker?.unref();
  };

  function start(): Worker {
    const w = startWorker(threadOptions);
    w.unref();
    w.on('message', (reply: ThreadReply) => {
      if ('log' in reply) {
        log[reply.log.level](reply.log.fields, reply.log.msg);
        return;
      }
      if (reply.ok) settle(reply.id, (p) => p.resolve(reply.value));
      else {
        const message = reply.message.replace(/^\[sqlite\] /, '');
        settle(reply.id, (p) => p.reject(new DatabaseError(reply.code, message)));
      }
    });
    w.on('error', (err) => log.error({ err: err.message }, '[sqlite] worker thread failed'));
    w.on('exit', (code) => {
      if (worker !== w) return;
      worker = null;
      for (const id of [...pending.keys()]) {
        settle(id, (p) => p.reject(new DatabaseError('WORKER_EXIT', `the worker thread exited (${code})`)));
      }
      if (closing) return;
      log.error({ code }, '[sqlite] worker thread exited; starting another');
      restartTimer = setTimeout(() => {
        if (!closing && worker === null) worker = start();
      }, RESTART_MS);
      restartTimer.unref();
    });
    return w;
  }
  worker = start();

  return {
    path,
    call<R>(op: string, args: unknown = null, callOptions: CallOptions = {}): Promise<R> {
      if (closing) return Promise.reject(new DatabaseError('CLOSED', `${op}: the database is closed`));
      const w = worker;
      if (w === null)
        return Promise.reject(new DatabaseError('WORKER_EXIT', `${op}: the worker is restarting`));
      const id = ++nextId;
      const deadline = callOptions.deadline ?? 0;
      return new Promise<R>((resolve, reject) => {
        const entry: { resolve: (v: unknown) => void; reject: (e: Error) => void; timer?: NodeJS.Timeout } = {
          resolve: resolve as (v: unknown) => void,
          reject,
        };
        if (deadline > 0) {
          entry.timer = setTimeout(
            () => settle(id, (p) => p.reject(new DatabaseError('DEADLINE', `${op}: no answer in time`))),
            Math.max(0, deadline - Date.now()),
          );
        }
        pending.set(id, entry);
        w.ref();
        const request: ThreadRequest = { id, op, args, notAfter: deadline };
        w.postMessage(request);
      });
    },
    close() {
      closing ??= (async () => {
        clearTimeout(restartTimer);
        const w = worker;
        if (w === null) return;
        const id = ++nextId;
        let waited: NodeJS.Timeout | undefined;
        const closed = new Promise<void>((resolve) => {
          pending.set(id, { resolve: () => resolve(), reject: () => resolve() });
          w.once('exit', () => resolve());
          // A disk that never answers: the thread cannot be stopped inside a system call, so it
          // is left to the process's exit rather than holding shutdown past its grace period.
          waited = setTimeout(() => {
            log.error({ waitedMs: CLOSE_WAIT_MS }, '[sqlite] the worker did not close in time; leaving it');
            resolve();
          }, CLOSE_WAIT_MS);
        });
        w.ref();
        w.postMessage({ id, op: 'close', args: null, notAfter: 0 } satisfies ThreadRequest);
        await closed;
        clearTimeout(waited);
        worker = null;
        w.unref();
        void w.terminate();
      })();
      return closing;
    },
  };
}

function startWorker(workerData: ThreadOptions): Worker {
  if (WORKER_URL.pathname.endsWith('.ts'))
    return startDevWorker(WORKER_URL, { workerData, resourceLimits: RESOURCE_LIMITS });
  return new Worker(WORKER_URL, { workerData, resourceLimits: RESOURCE_LIMITS });
}
