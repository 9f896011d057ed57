// The payment records' SQL (issue 14), run where the records store runs its SQL (on the SQLite
// worker thread): one function per PaymentRecords method. Writes are one transaction each, ending
// with the file's writability check; every one is conditional on the payment's status or claim,
// so a retry, a replica or a second callback changes nothing twice. A payment confirmed becomes
// paid and adds its subscription (id = the payment's id: once) in the same transaction.
import type { OpenFile } from '../sqlite/file.ts';
import { COLUMNS, fromRow, type Row } from './payment-table.ts';
import type { PaymentRecord, PushIds, Settled, SettleVerdict } from './payments.ts';

const DAY_MS = 86_400_000;
const OPEN = `status IN ('requested', 'pushed')`;

export { LATEST_PAYMENT_SQL, noticeOf, PAYMENTS_TABLE_SQL } from './payment-table.ts';

function statements(file: OpenFile) {
  return file.prepared('payments', ({ writer, reader }) => {
    const write = <A extends unknown[], R>(fn: (...args: A) => R) =>
      writer.transaction((...args: A) => {
        const result = fn(...args);
        file.guard();
        return result;
      });
    const get = writer.prepare<[string], Row>(`SELECT ${COLUMNS} FROM payments WHERE id = ?`);
    const insert = writer.prepare(
      `INSERT INTO payments (${COLUMNS}, claimed_until) VALUES (@id, @phoneHash, @msisdn, @sessionId, @amount,
         @days, @status, @requestedAt, @pushStartedAt, @checkoutRequestId, @merchantRequestId, @nextCheckAt,
         @queries, @settledAt, @failure, @resultCode, @resultDesc, @receipt, @paidAmount, @subscribedUntil, 0)
       ON CONFLICT (id) DO NOTHING`,
    );
    // The phone's newest other payment still open since a time (createPayment's hold).
    const openOf = writer.prepare<[string, string, number], Row>(
      `SELECT ${COLUMNS} FROM payments WHERE phone_hash = ? AND id != ? AND ${OPEN} AND requested_at >= ?
       ORDER BY requested_at DESC LIMIT 1`,
    );
    const claim = writer.prepare<[number, string, number], Row>(
      `UPDATE payments SET claimed_until = ? WHERE id = ? AND ${OPEN} AND claimed_until <= ?
       RETURNING ${COLUMNS}`,
    );
    const due = reader.prepare<[number, number, number], { id: string }>(
      `SELECT id FROM payments WHERE ${OPEN} AND next_check_at <= ? AND claimed_until <= ?
       ORDER BY next_check_at LIMIT ?`,
    );
    const startPush = writer.prepare<[number, string]>(
      `UPDATE payments SET push_started_at = ? WHERE id = ? AND status = 'requested'`,
    );
    const pushed = writer.prepare<[string, string, number, string]>(
      `UPDATE payments SET status = 'pushed', checkout_request_id = ?, merchant_request_id = ?,
         next_check_at = ?, claimed_until = 0 WHERE id = ? AND status = 'requested'`,
    );
    const reschedule = writer.prepare<[number, number, string]>(
      `UPDATE payments SET next_check_at = ?, queries = ?, claimed_until = 0 WHERE id = ? AND ${OPEN}`,
    );
    // Paid is final; a late confirmation of a failed or expired payment is still the money, and
    // news to a phone that was shown the failure (seen_at cleared: the next dial says it is paid).
    const paid = writer.prepare(
      `UPDATE payments SET status = 'paid', settled_at = @now, paid_amount = @amount, receipt = @receipt,
         result_code = 0, result_desc = @resultDesc, failure = NULL, msisdn = NULL, claimed_until = 0,
         seen_at = NULL
       WHERE id = @id AND status != 'paid'`,
    );
    const failed = writer.prepare(
      `UPDATE payments SET status = 'failed', settled_at = @now, failure = @failure, result_code = @resultCode,
         result_desc = @resultDesc, msisdn = NULL, claimed_until = 0
       WHERE id = @id AND status IN ('requested', 'pushed', 'expired')`,
    );
    const expired = writer.prepare(
      `UPDATE payments SET status = 'expired', settled_at = @now, result_desc = @resultDesc, msisdn = NULL,
         claimed_until = 0 WHERE id = @id AND ${OPEN}`,
    );
    const lastEnd = writer.prepare<[string], { until: number | null }>(
      'SELECT max(ends_at) AS until FROM subscriptions WHERE phone_hash = ?',
    );
    const subscribe = writer.prepare(
      `INSERT INTO subscriptions (id, phone_hash, starts_at, ends_at, source, session_id, reference, created_at)
       VALUES (@id, @phoneHash, @startsAt, @endsAt, 'mpesa', @sessionId, @id, @now) ON CONFLICT (id) DO NOTHING`,
    );
    const until = writer.prepare<[number, string]>('UPDATE payments SET subscribed_until = ? WHERE id = ?');
    // The phones' cached profiles must hear of it (payments/settle.ts tells them, the sweep retries).
    const untold = writer.prepare<[string]>('UPDATE payments SET profile_told = 0 WHERE id = ?');
    const byCheckout = reader.prepare<[string], Row>(
      `SELECT ${COLUMNS} FROM payments WHERE checkout_request_id = ?`,
    );
    const unanswered = writer.prepare<[string, number, number], Row>(
      `SELECT ${COLUMNS} FROM payments WHERE phone_hash = ? AND amount = ? AND push_started_at >= ?
         AND checkout_request_id IS NULL AND status != 'paid' ORDER BY push_started_at DESC LIMIT 1`,
    );
    const adopt = writer.prepare<[string, string, string]>(
      `UPDATE payments SET checkout_request_id = ?, merchant_request_id = ?
       WHERE id = ? AND checkout_request_id IS NULL`,
    );
    const seen = writer.prepare<[number, string]>(
      'UPDATE payments SET seen_at = ? WHERE id = ? AND seen_at IS NULL',
    );
    const toTell = reader.prepare<[number], { id: string; phoneHash: string }>(
      'SELECT id, phone_hash AS phoneHash FROM payments WHERE profile_told = 0 ORDER BY settled_at LIMIT ?',
    );
    const told = writer.prepare<[string]>('UPDATE payments SET profile_told = 1 WHERE id = ?');

    return {
      due,
      byCheckout,
      create: write((p: PaymentRecord, openSince: number | null): { row: Row; created: boolean } => {
        const same = get.get(p.id);
        if (same) return { row: same, created: false };
        const open = openSince === null ? undefined : openOf.get(p.phoneHash, p.id, openSince);
        if (open) return { row: open, created: false };
        insert.run(p);
        return { row: get.get(p.id) as Row, created: true };
      }),
      claim: write((id: string, now: number, leaseMs: number) => claim.get(now + leaseMs, id, now)),
      startPush: write((id: string, now: number) => {
        startPush.run(now, id);
      }),
      seen: write((id: string, now: number) => {
        seen.run(now, id);
      }),
      told: write((id: string) => {
        told.run(id);
      }),
      toTell,
      adopt: write((phoneHash: string, amount: number, since: number, a: PushIds): Row | undefined => {
        const row = unanswered.get(phoneHash, amount, since);
        if (!row) return undefined;
        adopt.run(a.checkoutRequestId, a.merchantRequestId, row.id);
        return get.get(row.id);
      }),
      pushed: write((id: string, a: PushIds, nextCheckAt: number) => {
        pushed.run(a.checkoutRequestId, a.merchantRequestId, nextCheckAt, id);
      }),
      reschedule: write((id: string, nextCheckAt: number, queries: number) => {
        reschedule.run(nextCheckAt, queries, id);
      }),
      settle: write(
        (id: string, v: SettleVerdict, now: number): { applied: boolean; row: Row | undefined } => {
          let changes = 0;
          if (v.kind === 'paid') {
            changes = paid.run({
              id,
              now,
              amount: v.amount,
              receipt: v.receipt,
              resultDesc: v.resultDesc,
            }).changes;
            const row = get.get(id);
            if (changes === 1 && row) {
              // The subscription runs from now, or from the end of the one the phone already has.
              const startsAt = Math.max(now, lastEnd.get(row.phone_hash)?.until ?? 0);
              const endsAt = startsAt + row.days * DAY_MS;
              subscribe.run({
                id,
                phoneHash: row.phone_hash,
                startsAt,
                endsAt,
                sessionId: row.session_id,
                now,
              });
              until.run(endsAt, id);
            }
          } else if (v.kind === 'failed') {
            changes = failed.run({
              id,
              now,
              failure: v.failure,
              resultCode: v.resultCode,
              resultDesc: v.resultDesc,
            }).changes;
          } else {
            changes = expired.run({ id, now, resultDesc: v.resultDesc }).changes;
          }
          if (changes === 1) untold.run(id);
          return { applied: changes === 1, row: get.get(id) };
        },
      ),
    };
  });
}

export const PAYMENT_HANDLERS = {
  'records.createPayment': (
    file: OpenFile,
    a: { payment: PaymentRecord; openSince: number | null },
  ): { payment: PaymentRecord; created: boolean } => {
    const { row, created } = statements(file).create.immediate(a.payment, a.openSince);
    return { payment: fromRow(row), created };
  },
  'records.claimPayment': (file: OpenFile, a: { id: string; now: number; leaseMs: number }) => {
    const row = statements(file).claim.immediate(a.id, a.now, a.leaseMs);
    return row ? fromRow(row) : null;
  },
  'records.duePayments': (file: OpenFile, a: { now: number; limit: number }): string[] =>
    statements(file)
      .due.all(a.now, a.now, a.limit)
      .map((r) => r.id),
  'records.startPush': (file: OpenFile, a: { id: string; now: number }): null => {
    statements(file).startPush.immediate(a.id, a.now);
    return null;
  },
  'records.markPushed': (file: OpenFile, a: { id: string; ids: PushIds; nextCheckAt: number }): null => {
    statements(file).pushed.immediate(a.id, a.ids, a.nextCheckAt);
    return null;
  },
  'records.reschedule': (file: OpenFile, a: { id: string; nextCheckAt: number; queries: number }): null => {
    statements(file).reschedule.immediate(a.id, a.nextCheckAt, a.queries);
    return null;
  },
  'records.settlePayment': (
    file: OpenFile,
    a: { id: string; verdict: SettleVerdict; now: number },
  ): Settled => {
    const { applied, row } = statements(file).settle.immediate(a.id, a.verdict, a.now);
    const payment = row ? fromRow(row) : null;
    return applied && payment ? { applied: true, payment } : { applied: false, payment };
  },
  'records.paymentByCheckout': (file: OpenFile, a: { checkoutRequestId: string }): PaymentRecord | null => {
    const row = statements(file).byCheckout.get(a.checkoutRequestId);
    return row ? fromRow(row) : null;
  },
  'records.adoptCheckout': (
    file: OpenFile,
    a: { phoneHash: string; amount: number; since: number; ids: PushIds },
  ): PaymentRecord | null => {
    const row = statements(file).adopt.immediate(a.phoneHash, a.amount, a.since, a.ids);
    return row ? fromRow(row) : null;
  },
  'records.markPaymentSeen': (file: OpenFile, a: { id: string; now: number }): null => {
    statements(file).seen.immediate(a.id, a.now);
    return null;
  },
  'records.profilesToTell': (file: OpenFile, a: { limit: number }) => statements(file).toTell.all(a.limit),
  'records.markProfileTold': (file: OpenFile, a: { id: string }): null => {
    statements(file).told.immediate(a.id);
    return null;
  },
};
