// PostgreSQL for the report, as the report reads SQLite: `prepare(sql).all(params)`, answered at
// once (issue 19). The report's code is synchronous (better-sqlite3) and runs on a worker thread of
// its own (report-thread.ts), which has nothing else to do while a query runs; so each query is
// handed to a second thread that owns the PostgreSQL connection (pg-bridge-worker.ts) and this
// thread sleeps until the rows come back (Atomics.wait, then receiveMessageOnPort). Neither
// thread is the gateway's event loop. The SQL is the report's own, in the subset both dialects
// read (named @params and ? become $n here); nothing is translated beyond the parameters.
import { MessageChannel, receiveMessageOnPort, Worker } from 'node:worker_threads';
import { InteractionLogError } from '../errors.ts';
import { SCHEMA_VERSION } from '../log/migrations.ts';
import { startDevWorker } from '../sqlite/dev-worker.ts';

/** What the report calls on its database (the part of better-sqlite3's API it uses). */
export interface ReportStatement {
  all(...params: unknown[]): unknown[];
  get(...params: unknown[]): unknown;
  /** The first column of each row, as better-sqlite3's pluck(). */
  pluck(): ReportStatement;
}

export interface ReportReader {
  prepare(sql: string): ReportStatement;
  close(): void;
}

export type BridgeRequest = { text: string; values: unknown[] } | { close: true };
export type BridgeReply = { rows: Record<string, unknown>[] } | { error: string; code?: string };

/** A query not answered in this long fails the report (the report's own bound is REPORT_TIMEOUT_MS). */
const QUERY_TIMEOUT_MS = 55_000;

const WORKER_URL = new URL(
  import.meta.url.endsWith('.ts') ? './pg-bridge-worker.ts' : './pg-bridge-worker.js',
  import.meta.url,
);

/** Opens `url` for reading the report; throws InteractionLogError when its schema is not this code's. */
export function openPostgresReadOnly(url: string): ReportReader {
  const shared = new SharedArrayBuffer(4);
  const flag = new Int32Array(shared);
  const { port1, port2 } = new MessageChannel();
  const options = { workerData: { url, port: port2, shared }, transferList: [port2] };
  const worker = WORKER_URL.pathname.endsWith('.ts')
    ? startDevWorker(WORKER_URL, options)
    : new Worker(WORKER_URL, options);

  function query(sql: string, params: unknown[]): Record<string, unknown>[] {
    const request: BridgeRequest = toPositional(sql, params);
    port1.postMessage(request);
    if (Atomics.wait(flag, 0, 0, QUERY_TIMEOUT_MS) === 'timed-out')
      throw new InteractionLogError(`[postgres] no answer in ${QUERY_TIMEOUT_MS} ms`);
    Atomics.store(flag, 0, 0);
    const reply = receiveMessageOnPort(port1)?.message as BridgeReply | undefined;
    if (reply === undefined) throw new InteractionLogError('[postgres] the report connection gave no answer');
    if ('error' in reply) throw new InteractionLogError(`[postgres] ${reply.error}`);
    return reply.rows;
  }

  const statement = (sql: string, plucked: boolean): ReportStatement => ({
    all: (...params) => {
      const rows = query(sql, params);
      return plucked ? rows.map((r) => Object.values(r)[0]) : rows;
    },
    get: (...params) => statement(sql, plucked).all(...params)[0],
    pluck: () => statement(sql, true),
  });

  const reader: ReportReader = {
    prepare: (sql) => statement(sql, false),
    close() {
      port1.postMessage({ close: true } satisfies BridgeRequest);
      port1.close();
      void worker.terminate();
    },
  };
  try {
    const [table] = query(`SELECT to_regclass('schema_version') AS t`, []);
    const [row] = table?.['t'] == null ? [] : query('SELECT max(version) AS v FROM schema_version', []);
    const version = Number(row?.['v'] ?? 0);
    if (version !== SCHEMA_VERSION) {
      throw new InteractionLogError(
        version === 0
          ? 'the PostgreSQL database has no interaction log (start a gateway with DATABASE_URL once)'
          : `the PostgreSQL database has schema version ${version}, this code reads ${SCHEMA_VERSION}: ${
              version < SCHEMA_VERSION ? 'start the gateway once to upgrade it' : 'upgrade this code'
            }`,
      );
    }
  } catch (err) {
    reader.close();
    throw err;
  }
  return reader;
}

/**
 * better-sqlite3's parameters (named @x from one object, or ? in order) as PostgreSQL's $n. The
 * report's SQL has no @ or ? inside its string literals (pure: checked by its tests).
 */
export function toPositional(sql: string, params: unknown[]): { text: string; values: unknown[] } {
  const first = params[0];
  if (params.length === 1 && first !== null && typeof first === 'object' && !Array.isArray(first)) {
    const named = first as Record<string, unknown>;
    const order: string[] = [];
    const text = sql.replace(/@([A-Za-z_][A-Za-z0-9_]*)/g, (_, name: string) => {
      let i = order.indexOf(name);
      if (i < 0) i = order.push(name) - 1;
      return `$${i + 1}`;
    });
    return { text, values: order.map((n) => named[n]) };
  }
  let n = 0;
  return { text: sql.replace(/\?/g, () => `$${++n}`), values: params };
}
