// The connection to PostgreSQL (DATABASE_URL, issue 19), shared by the interaction log and the
// records store of one process, as the SQLite worker thread is for the file (sqlite/thread.ts).
// node-postgres (`pg`): sockets and parsing are asynchronous, so nothing here blocks the event
// loop; every call is bounded by its caller's deadline, and a call whose deadline passed before
// a connection was free is never run (a write the caller gave up on cannot land later, as on the
// SQLite worker). A connection that did not answer in time is destroyed, not reused: its socket
// may be half dead (a cut link), and whatever it was running is rolled back by the server when
// the socket goes, unless its COMMIT was already through, which the callers' idempotent writes
// (ON CONFLICT on a caller's key, a row's stable id) make harmless.
// Must not know any table: the log and records drivers bring their SQL.
import pg from 'pg';
import { PostgresError } from '../errors.ts';
import type { Logger } from '../logger.ts';

export interface PgPoolOptions {
  url: string;
  logger: Logger;
  /** Connections at once (default 8): the log writes one batch at a time, records calls come per hop. */
  max?: number;
  /** Name shown in pg_stat_activity. */
  applicationName?: string;
}

export interface PgPool {
  /** Runs `fn` on a connection of its own, answered by `deadline` (epoch ms) or rejected with DEADLINE. */
  withClient<R>(fn: (client: pg.PoolClient) => Promise<R>, deadline: number, what: string): Promise<R>;
  /** `fn` in one transaction (BEGIN … COMMIT, ROLLBACK on a failure), bounded as withClient. */
  transaction<R>(fn: (client: pg.PoolClient) => Promise<R>, deadline: number, what: string): Promise<R>;
  /** Ends every connection (calls after it reject with CLOSED). */
  close(): Promise<void>;
}

/** A connection not made in this long is an error (a host that drops packets would hang longer). */
const CONNECT_TIMEOUT_MS = 2_000;
const IDLE_MS = 30_000;
/** The server's own bound on one statement, beyond any caller's deadline (a lock held for ever). */
const STATEMENT_TIMEOUT_MS = 15_000;

// bigint (count(*), BIGINT columns: epoch ms) and numeric (sum of BIGINT) as JS numbers: every
// such value here is a count or a time far below 2^53, and the code reads numbers, as with SQLite.
const INT8 = 20;
const NUMERIC = 1700;
export const PG_TYPES = {
  getTypeParser: ((oid: number, format?: 'text' | 'binary') =>
    oid === INT8 || oid === NUMERIC
      ? (v: string) => Number(v)
      : pg.types.getTypeParser(oid, format ?? 'text')) as typeof pg.types.getTypeParser,
};

export function createPgPool(options: PgPoolOptions): PgPool {
  const log = options.logger.child({ layer: 'postgres' });
  const pool = new pg.Pool({
    connectionString: options.url,
    max: options.max ?? 8,
    connectionTimeoutMillis: CONNECT_TIMEOUT_MS,
    idleTimeoutMillis: IDLE_MS,
    keepAlive: true,
    statement_timeout: STATEMENT_TIMEOUT_MS,
    application_name: options.applicationName ?? 'ussd-ai-gateway',
    types: PG_TYPES,
  });
  // An idle connection the server ended (a restart, a failover) errors here: without a listener
  // that is an uncaught error that kills the process. The pool drops the connection itself.
  pool.on('error', (err) => log.warn({ err: err.message }, '[postgres] an idle connection failed'));
  let closed = false;

  async function withClient<R>(
    fn: (client: pg.PoolClient) => Promise<R>,
    deadline: number,
    what: string,
  ): Promise<R> {
    if (closed) throw new PostgresError('CLOSED', `${what}: the pool is closed`);
    if (Date.now() >= deadline) throw new PostgresError('DEADLINE', `${what}: its deadline passed first`);
    let client: pg.PoolClient | null = null;
    let gaveUp = false;
    let lost: Error | null = null;
    const broken = (err: Error) => {
      lost = err;
    };
    let timer: NodeJS.Timeout | undefined;
    const timedOut = new Promise<never>((_, reject) => {
      timer = setTimeout(() => {
        gaveUp = true;
        // Destroyed, not returned: it may be mid-statement on a socket that no longer answers.
        client?.release(new Error('deadline'));
        client = null;
        reject(new PostgresError('DEADLINE', `${what}: no answer in time`));
      }, deadline - Date.now());
    });
    try {
      const acquired = pool.connect();
      // A connection that comes after the caller gave up runs nothing and goes back.
      acquired.then(
        (c) => gaveUp && c.release(),
        () => {},
      );
      const c = await Promise.race([acquired, timedOut]);
      client = c;
      // A checked-out connection's socket error (the server stopped between two statements) is
      // an 'error' event the pool no longer listens to: unheard, it would end the process. Heard
      // here, it fails the call (the next statement rejects) and the connection is destroyed.
      c.on('error', broken);
      try {
        const result = await Promise.race([fn(c), timedOut]);
        client = null;
        c.release();
        return result;
      } finally {
        c.removeListener('error', broken);
      }
    } catch (err) {
      // A connection whose statement failed is still sound (the transaction was rolled back);
      // one whose socket failed is destroyed by the pool when released with the error.
      const c = client as pg.PoolClient | null;
      client = null;
      c?.release(lost ?? (isConnectionError(err) ? (err as Error) : undefined));
      throw toPostgresError(err, what);
    } finally {
      clearTimeout(timer);
    }
  }

  return {
    withClient,
    transaction: (fn, deadline, what) =>
      withClient(
        async (client) => {
          await client.query('BEGIN');
          try {
            const result = await fn(client);
            await client.query('COMMIT');
            return result;
          } catch (err) {
            await client.query('ROLLBACK').catch(() => {});
            throw err;
          }
        },
        deadline,
        what,
      ),
    async close() {
      if (closed) return;
      closed = true;
      await pool.end();
    },
  };
}

/** SQLSTATE classes of errors about the data sent (22: data exception, 23: a constraint). */
export function isDataError(err: unknown): boolean {
  const code = (err as { code?: unknown })?.code;
  return typeof code === 'string' && /^(22|23)[0-9A-Z]{3}$/.test(code);
}

/** Errors after which the connection cannot be trusted: no SQLSTATE, or the server closing it. */
function isConnectionError(err: unknown): boolean {
  const code = (err as { code?: unknown })?.code;
  return typeof code !== 'string' || !/^[0-9A-Z]{5}$/.test(code) || /^(08|57P)/.test(code);
}

function toPostgresError(err: unknown, what: string): Error {
  if (err instanceof PostgresError) return err;
  const code = (err as { code?: unknown })?.code;
  const message = err instanceof Error ? err.message : String(err);
  return new PostgresError(typeof code === 'string' ? code : 'ERROR', `${what}: ${message}`, { cause: err });
}
