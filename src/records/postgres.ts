// The PostgreSQL driver of the records store (issue 19): the same tables as the SQLite file (one
// set of migrations, log/migrations.ts), shared by every replica. Each call runs on the process's
// pool (postgres/pool.ts), bounded by the caller's `within`: a call whose deadline passed before
// a connection was free never runs, one not answered in time rejects with timedOut (its
// connection destroyed), so PostgreSQL down or slow costs a hop its remembered profile for one hop
// (hop/profile.ts: RECORDS_READ_MS), never its deadline. Writes are idempotent on the caller's
// key, as the contract (test/records/contract.ts) requires of every driver.
import type pg from 'pg';
import { RecordsStoreError } from '../errors.ts';
import type { Logger } from '../logger.ts';
import { createPostgres, type Postgres } from '../postgres/database.ts';
import type { PhoneProfile } from '../types.ts';
import { noticeOf } from './payment-sql.ts';
import { postgresPayments, type Run } from './postgres-payments.ts';
import { fromRow, type PhoneRow, SUBSCRIPTION_COLUMNS, type SubscriptionRow } from './sqlite-handlers.ts';
import { checkSubscription, type RecordsStore, type Subscription, type Within } from './types.ts';

export interface PostgresRecordsOptions {
  url: string;
  /** The database shared with the log; without it the store makes its own for `url`. */
  db?: Postgres;
  logger: Logger;
}

// One statement, so that its parts describe the same moment (as SQLite's getPhone).
const PHONE_SQL = `
  SELECT (SELECT lang FROM phones WHERE phone_hash = $1) AS lang,
         (SELECT max(ends_at) FROM subscriptions WHERE phone_hash = $1) AS until, p.*
  FROM (SELECT 1 AS one) AS o LEFT JOIN (
    SELECT id AS pay_id, status AS pay_status, failure AS pay_failure, requested_at AS pay_at, seen_at AS pay_seen
    FROM payments WHERE phone_hash = $1 ORDER BY requested_at DESC LIMIT 1
  ) AS p ON true`;

export function createPostgresRecords(options: PostgresRecordsOptions): RecordsStore {
  const ownDb = options.db === undefined;
  const db = options.db ?? createPostgres({ url: options.url, logger: options.logger });

  function bounded(within: Within): Run {
    return async (what, fn, opts = {}) => {
      try {
        await db.ready(within.deadline);
        return await (opts.transaction ? db.transaction : db.withClient)(fn, within.deadline, what);
      } catch (err) {
        const code = (err as { code?: unknown })?.code;
        const timedOut = code === 'DEADLINE' || Date.now() >= within.deadline;
        const why = timedOut
          ? 'not done by its deadline'
          : (err as Error).message.replace(/^\[postgres\] /, '');
        throw new RecordsStoreError(`[postgres] ${what}: ${why}`, timedOut, { cause: err });
      }
    };
  }
  const payments = (within: Within) => postgresPayments(bounded(within));
  const query = <T extends pg.QueryResultRow>(within: Within, what: string, sql: string, values: unknown[]) =>
    bounded(within)(what, async (c) => (await c.query<T>(sql, values)).rows);

  return {
    async getPhone(phoneHash, within) {
      const [row] = await query<PhoneRow>(within, 'getPhone', PHONE_SQL, [phoneHash]);
      const profile: PhoneProfile = {};
      if (row?.lang) profile.lang = row.lang;
      if (typeof row?.until === 'number') profile.subscribedUntil = row.until;
      return row ? { ...profile, ...noticeOf(row) } : profile;
    },
    async setLanguage(phoneHash, lang, at, within) {
      if (!lang) throw new RecordsStoreError('setLanguage: empty language', false);
      // A late retry of an older choice must not undo a newer one.
      await query(
        within,
        'setLanguage',
        `INSERT INTO phones AS p (phone_hash, lang, lang_at) VALUES ($1, $2, $3)
         ON CONFLICT (phone_hash) DO UPDATE SET lang = excluded.lang, lang_at = excluded.lang_at
         WHERE excluded.lang_at >= coalesce(p.lang_at, 0)`,
        [phoneHash, lang, Math.round(at)],
      );
    },
    async addSubscription(s: Subscription, within) {
      checkSubscription(s);
      return bounded(within)(
        'addSubscription',
        async (c) => {
          const inserted = await c.query(
            `INSERT INTO subscriptions (${SUBSCRIPTION_COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
             ON CONFLICT (id) DO NOTHING`,
            [s.id, s.phoneHash, s.startsAt, s.endsAt, s.source, s.sessionId, s.reference, s.createdAt],
          );
          const stored = await c.query<SubscriptionRow>(
            `SELECT ${SUBSCRIPTION_COLUMNS} FROM subscriptions WHERE id = $1`,
            [s.id],
          );
          return {
            subscription: fromRow(stored.rows[0] as SubscriptionRow),
            created: inserted.rowCount === 1,
          };
        },
        { transaction: true },
      );
    },
    async subscriptions(phoneHash, within) {
      // Byte order for the ids, as SQLite sorts them (a locale's collation may not).
      const rows = await query<SubscriptionRow>(
        within,
        'subscriptions',
        `SELECT ${SUBSCRIPTION_COLUMNS} FROM subscriptions WHERE phone_hash = $1 ORDER BY starts_at, id COLLATE "C"`,
        [phoneHash],
      );
      return rows.map(fromRow);
    },
    createPayment: (payment, within, options) =>
      payments(within).createPayment(payment, options?.openSince ?? null),
    claimPayment: (id, now, leaseMs, within) => payments(within).claimPayment(id, now, leaseMs),
    duePayments: (now, limit, within) => payments(within).duePayments(now, limit),
    startPush: (id, now, within) => payments(within).startPush(id, now),
    markPushed: (id, ids, nextCheckAt, within) => payments(within).markPushed(id, ids, nextCheckAt),
    reschedule: (id, nextCheckAt, queries, within) => payments(within).reschedule(id, nextCheckAt, queries),
    settlePayment: (id, verdict, now, within) => payments(within).settlePayment(id, verdict, now),
    paymentByCheckout: (checkoutRequestId, within) => payments(within).paymentByCheckout(checkoutRequestId),
    adoptCheckout: (phoneHash, amount, since, ids, within) =>
      payments(within).adoptCheckout(phoneHash, amount, since, ids),
    markPaymentSeen: (id, within) => payments(within).markPaymentSeen(id, Date.now()),
    profilesToTell: (limit, within) => payments(within).profilesToTell(limit),
    markProfileTold: (id, within) => payments(within).markProfileTold(id),
    async close() {
      if (ownDb) await db.close();
    },
  };
}
