// The payment records' SQL on PostgreSQL (issue 14, issue 19): the methods of PaymentRecords as
// payment-sql.ts has them for SQLite, in PostgreSQL's words, each run by records/postgres.ts on a
// connection bounded by the caller's deadline. Every write is conditional on the payment's status
// or claim, so a retry, a replica or a second callback changes nothing twice; several replicas'
// sweeps take a payment through one atomic UPDATE … RETURNING. A payment confirmed becomes paid
// and adds its subscription (id = the payment's id: once) in the same transaction, with the
// phone's subscriptions locked for it, so two payments of one phone settled by two replicas at
// once extend one another rather than overlap.
import type pg from 'pg';
import { COLUMNS, type Row as PaymentRow, fromRow as paymentFromRow } from './payment-table.ts';
import type { PaymentRecord, PushIds, Settled, SettleVerdict } from './payments.ts';

const DAY_MS = 86_400_000;
const OPEN = `status IN ('requested', 'pushed')`;

export type Run = <R>(
  what: string,
  fn: (c: pg.PoolClient) => Promise<R>,
  options?: { transaction?: boolean },
) => Promise<R>;

/** The PaymentRecords methods on PostgreSQL, without their `within` (the caller's `run` bounds them). */
export function postgresPayments(run: Run) {
  const one = async (c: pg.PoolClient, sql: string, values: unknown[]) =>
    (await c.query<PaymentRow>(sql, values)).rows[0];
  const exec = (what: string, sql: string, values: unknown[]) =>
    run(what, async (c) => {
      await c.query(sql, values);
    });

  return {
    createPayment: (p: PaymentRecord, openSince: number | null) =>
      run(
        'createPayment',
        async (c) => {
          // One phone's payments are created one transaction at a time: two accepts at once (two
          // sessions, two replicas) find each other's open payment (payments.ts, createPayment).
          await c.query('SELECT pg_advisory_xact_lock(hashtext($1))', [`payments:${p.phoneHash}`]);
          const same = await one(c, `SELECT ${COLUMNS} FROM payments WHERE id = $1`, [p.id]);
          if (same) return { payment: paymentFromRow(same), created: false };
          if (openSince !== null) {
            const open = await one(
              c,
              `SELECT ${COLUMNS} FROM payments WHERE phone_hash = $1 AND id != $2 AND ${OPEN} AND requested_at >= $3
               ORDER BY requested_at DESC LIMIT 1`,
              [p.phoneHash, p.id, openSince],
            );
            if (open) return { payment: paymentFromRow(open), created: false };
          }
          const inserted = await one(
            c,
            `INSERT INTO payments (${COLUMNS}, claimed_until) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11,
               $12, $13, $14, $15, $16, $17, $18, $19, $20, 0) ON CONFLICT (id) DO NOTHING RETURNING ${COLUMNS}`,
            [
              ...[p.id, p.phoneHash, p.msisdn, p.sessionId, p.amount, p.days, p.status, p.requestedAt],
              ...[p.pushStartedAt, p.checkoutRequestId, p.merchantRequestId, p.nextCheckAt, p.queries],
              ...[
                p.settledAt,
                p.failure,
                p.resultCode,
                p.resultDesc,
                p.receipt,
                p.paidAmount,
                p.subscribedUntil,
              ],
            ],
          );
          const row = inserted ?? (await one(c, `SELECT ${COLUMNS} FROM payments WHERE id = $1`, [p.id]));
          return { payment: paymentFromRow(row as PaymentRow), created: inserted !== undefined };
        },
        { transaction: true },
      ),
    adoptCheckout: (phoneHash: string, amount: number, since: number, ids: PushIds) =>
      run(
        'adoptCheckout',
        async (c) => {
          const row = await one(
            c,
            `SELECT ${COLUMNS} FROM payments WHERE phone_hash = $1 AND amount = $2 AND push_started_at >= $3
               AND checkout_request_id IS NULL AND status != 'paid' ORDER BY push_started_at DESC LIMIT 1 FOR UPDATE`,
            [phoneHash, amount, since],
          );
          if (!row) return null;
          await c.query(
            `UPDATE payments SET checkout_request_id = $1, merchant_request_id = $2
             WHERE id = $3 AND checkout_request_id IS NULL`,
            [ids.checkoutRequestId, ids.merchantRequestId, row.id],
          );
          const adopted = await one(c, `SELECT ${COLUMNS} FROM payments WHERE id = $1`, [row.id]);
          return adopted ? paymentFromRow(adopted) : null;
        },
        { transaction: true },
      ),
    claimPayment: (id: string, now: number, leaseMs: number) =>
      run('claimPayment', async (c) => {
        const row = await one(
          c,
          `UPDATE payments SET claimed_until = $1 WHERE id = $2 AND ${OPEN} AND claimed_until <= $3
           RETURNING ${COLUMNS}`,
          [now + leaseMs, id, now],
        );
        return row ? paymentFromRow(row) : null;
      }),
    duePayments: (now: number, limit: number) =>
      run('duePayments', async (c) => {
        const r = await c.query<{ id: string }>(
          `SELECT id FROM payments WHERE ${OPEN} AND next_check_at <= $1 AND claimed_until <= $1
           ORDER BY next_check_at LIMIT $2`,
          [now, limit],
        );
        return r.rows.map((row) => row.id);
      }),
    startPush: (id: string, now: number) =>
      exec('startPush', `UPDATE payments SET push_started_at = $1 WHERE id = $2 AND status = 'requested'`, [
        now,
        id,
      ]),
    markPushed: (id: string, ids: PushIds, nextCheckAt: number) =>
      exec(
        'markPushed',
        `UPDATE payments SET status = 'pushed', checkout_request_id = $1, merchant_request_id = $2,
           next_check_at = $3, claimed_until = 0 WHERE id = $4 AND status = 'requested'`,
        [ids.checkoutRequestId, ids.merchantRequestId, nextCheckAt, id],
      ),
    reschedule: (id: string, nextCheckAt: number, queries: number) =>
      exec(
        'reschedule',
        `UPDATE payments SET next_check_at = $1, queries = $2, claimed_until = 0 WHERE id = $3 AND ${OPEN}`,
        [nextCheckAt, queries, id],
      ),
    settlePayment: (id: string, v: SettleVerdict, now: number) =>
      run('settlePayment', (c) => settle(c, id, v, now), { transaction: true }),
    paymentByCheckout: (checkoutRequestId: string) =>
      run('paymentByCheckout', async (c) => {
        const row = await one(c, `SELECT ${COLUMNS} FROM payments WHERE checkout_request_id = $1`, [
          checkoutRequestId,
        ]);
        return row ? paymentFromRow(row) : null;
      }),
    markPaymentSeen: (id: string, now: number) =>
      exec('markPaymentSeen', 'UPDATE payments SET seen_at = $1 WHERE id = $2 AND seen_at IS NULL', [
        now,
        id,
      ]),
    profilesToTell: (limit: number) =>
      run('profilesToTell', async (c) => {
        const r = await c.query<{ id: string; phoneHash: string }>(
          `SELECT id, phone_hash AS "phoneHash" FROM payments WHERE profile_told = 0 ORDER BY settled_at LIMIT $1`,
          [limit],
        );
        return r.rows;
      }),
    markProfileTold: (id: string) =>
      exec('markProfileTold', 'UPDATE payments SET profile_told = 1 WHERE id = $1', [id]),
  };

  async function settle(c: pg.PoolClient, id: string, v: SettleVerdict, now: number): Promise<Settled> {
    let changes = 0;
    if (v.kind === 'paid') {
      // Paid is final; a late confirmation of a failed or expired payment is still the money, and
      // news to a phone that was shown the failure (seen_at cleared: the next dial says it is paid).
      const r = await c.query(
        `UPDATE payments SET status = 'paid', settled_at = $1, paid_amount = $2, receipt = $3, result_code = 0,
           result_desc = $4, failure = NULL, msisdn = NULL, claimed_until = 0, seen_at = NULL
         WHERE id = $5 AND status != 'paid'`,
        [now, v.amount, v.receipt, v.resultDesc, id],
      );
      changes = r.rowCount ?? 0;
      const row = await one(c, `SELECT ${COLUMNS} FROM payments WHERE id = $1`, [id]);
      if (changes === 1 && row) {
        // The phone's subscriptions are read and extended by one transaction at a time.
        await c.query('SELECT pg_advisory_xact_lock(hashtext($1))', [`subscriptions:${row.phone_hash}`]);
        const last = await c.query<{ until: number | null }>(
          'SELECT max(ends_at) AS until FROM subscriptions WHERE phone_hash = $1',
          [row.phone_hash],
        );
        // The subscription runs from now, or from the end of the one the phone already has.
        const startsAt = Math.max(now, last.rows[0]?.until ?? 0);
        const endsAt = startsAt + row.days * DAY_MS;
        await c.query(
          `INSERT INTO subscriptions (id, phone_hash, starts_at, ends_at, source, session_id, reference, created_at)
           VALUES ($1, $2, $3, $4, 'mpesa', $5, $1, $6) ON CONFLICT (id) DO NOTHING`,
          [id, row.phone_hash, startsAt, endsAt, row.session_id, now],
        );
        await c.query('UPDATE payments SET subscribed_until = $1 WHERE id = $2', [endsAt, id]);
      }
    } else if (v.kind === 'failed') {
      const r = await c.query(
        `UPDATE payments SET status = 'failed', settled_at = $1, failure = $2, result_code = $3, result_desc = $4,
           msisdn = NULL, claimed_until = 0 WHERE id = $5 AND status IN ('requested', 'pushed', 'expired')`,
        [now, v.failure, v.resultCode, v.resultDesc, id],
      );
      changes = r.rowCount ?? 0;
    } else {
      const r = await c.query(
        `UPDATE payments SET status = 'expired', settled_at = $1, result_desc = $2, msisdn = NULL,
           claimed_until = 0 WHERE id = $3 AND ${OPEN}`,
        [now, v.resultDesc, id],
      );
      changes = r.rowCount ?? 0;
    }
    // The phones' cached profiles must hear of it (payments/settle.ts tells them, the sweep retries).
    if (changes === 1) await c.query('UPDATE payments SET profile_told = 0 WHERE id = $1', [id]);
    const row = await one(c, `SELECT ${COLUMNS} FROM payments WHERE id = $1`, [id]);
    const payment = row ? paymentFromRow(row) : null;
    return changes === 1 && payment ? { applied: true, payment } : { applied: false, payment };
  }
}
