// The payments table (issue 14): its SQL for the migration that adds it, its columns and row as
// the statements of payment-sql.ts read them, and the phone's latest payment as getPhone gives it.
// Data and pure functions only: no statement is run here.
import type { PaymentNotice } from '../types.ts';
import type { PaymentRecord, PaymentStatus } from './payments.ts';

export const COLUMNS = `id, phone_hash, msisdn, session_id, amount, days, status, requested_at, push_started_at,
  checkout_request_id, merchant_request_id, next_check_at, queries, settled_at, failure, result_code,
  result_desc, receipt, paid_amount, subscribed_until`;

export interface Row {
  id: string;
  phone_hash: string;
  msisdn: string | null;
  session_id: string;
  amount: number;
  days: number;
  status: PaymentStatus;
  requested_at: number;
  push_started_at: number | null;
  checkout_request_id: string | null;
  merchant_request_id: string | null;
  next_check_at: number;
  queries: number;
  settled_at: number | null;
  failure: PaymentRecord['failure'];
  result_code: number | null;
  result_desc: string | null;
  receipt: string | null;
  paid_amount: number | null;
  subscribed_until: number | null;
}

/**
 * The phone's latest payment as getPhone gives it (columns pay_id, pay_status, pay_failure,
 * pay_at, pay_seen of records/sqlite-handlers.ts): pending until settled; expired is a failure.
 */
export function noticeOf(r: {
  pay_id: string | null;
  pay_status: PaymentStatus | null;
  pay_failure: PaymentRecord['failure'];
  pay_at: number | null;
  pay_seen: number | null;
}): { payment?: PaymentNotice; paymentSeen?: string } {
  if (r.pay_id === null || r.pay_status === null || r.pay_at === null) return {};
  const status =
    r.pay_status === 'paid'
      ? 'paid'
      : r.pay_status === 'failed' || r.pay_status === 'expired'
        ? 'failed'
        : 'pending';
  const failure = r.pay_status === 'expired' ? 'expired' : r.pay_failure;
  const payment: PaymentNotice = {
    id: r.pay_id,
    status,
    at: r.pay_at,
    ...(status === 'failed' && failure ? { failure } : {}),
  };
  return { payment, ...(r.pay_seen === null ? {} : { paymentSeen: r.pay_id }) };
}

/** The latest payment of a phone, as a subquery getPhone joins (one statement, one moment). */
export const LATEST_PAYMENT_SQL = `SELECT id AS pay_id, status AS pay_status, failure AS pay_failure,
  requested_at AS pay_at, seen_at AS pay_seen FROM payments WHERE phone_hash = @phone
  ORDER BY requested_at DESC LIMIT 1`;

/** The SQL of the payments table, for the migration that adds it (log/migrations.ts). */
export const PAYMENTS_TABLE_SQL = `
  CREATE TABLE payments (
    id                  TEXT PRIMARY KEY,
    phone_hash          TEXT NOT NULL,
    msisdn              TEXT,
    session_id          TEXT NOT NULL,
    amount              INTEGER NOT NULL,
    days                INTEGER NOT NULL,
    status              TEXT NOT NULL,
    requested_at        INTEGER NOT NULL,
    push_started_at     INTEGER,
    checkout_request_id TEXT UNIQUE,
    merchant_request_id TEXT,
    next_check_at       INTEGER NOT NULL,
    claimed_until       INTEGER NOT NULL DEFAULT 0,
    queries             INTEGER NOT NULL DEFAULT 0,
    settled_at          INTEGER,
    failure             TEXT,
    result_code         INTEGER,
    result_desc         TEXT,
    receipt             TEXT,
    paid_amount         INTEGER,
    subscribed_until    INTEGER,
    seen_at             INTEGER,
    profile_told        INTEGER NOT NULL DEFAULT 1
  ) STRICT;
  CREATE INDEX payments_open_due ON payments (next_check_at) WHERE status IN ('requested', 'pushed');
  CREATE INDEX payments_phone_requested ON payments (phone_hash, requested_at);
  CREATE INDEX payments_untold ON payments (settled_at) WHERE profile_told = 0;
`;

export function fromRow(r: Row): PaymentRecord {
  return {
    ...{ id: r.id, phoneHash: r.phone_hash, msisdn: r.msisdn, sessionId: r.session_id, amount: r.amount },
    ...{ days: r.days, status: r.status, requestedAt: r.requested_at, pushStartedAt: r.push_started_at },
    ...{ checkoutRequestId: r.checkout_request_id, merchantRequestId: r.merchant_request_id },
    ...{ nextCheckAt: r.next_check_at, queries: r.queries, settledAt: r.settled_at, failure: r.failure },
    ...{
      resultCode: r.result_code,
      resultDesc: r.result_desc,
      receipt: r.receipt,
      paidAmount: r.paid_amount,
    },
    subscribedUntil: r.subscribed_until,
  };
}
