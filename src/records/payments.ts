// The payment records (issue 14 item 2), kept by the records store beside the subscriptions they
// start: the row type of a payment, what a settle applies, and the store's methods for them (on
// RecordsStore, records/types.ts). Each method takes `within` (a deadline) and is idempotent on a
// key the caller chose: the payment's id, or Daraja's CheckoutRequestID.
import type { PaymentFailure } from '../types.ts';

/**
 * A payment's life: `requested` (written before the phone is told; not yet pushed) → `pushed`
 * (Daraja accepted the push: it has a CheckoutRequestID) → `paid` | `failed` | `expired`. `paid`
 * is final; a late confirmation of an expired or failed payment still makes it paid (the money
 * came). A push whose outcome is unknown (no answer, a crash mid-call) is never sent again: a
 * second push is a second prompt, maybe a second payment.
 */
export type PaymentStatus = 'requested' | 'pushed' | 'paid' | 'failed' | 'expired';

export interface PaymentRecord {
  id: string;
  phoneHash: string;
  /** 2547…, kept until the payment is settled (to push, and to check the callback), then erased. */
  msisdn: string | null;
  sessionId: string;
  /** Whole shillings asked for, and the days they buy. */
  amount: number;
  days: number;
  status: PaymentStatus;
  requestedAt: number;
  /** When a push was started (its outcome is unknown until Daraja answers). */
  pushStartedAt: number | null;
  checkoutRequestId: string | null;
  merchantRequestId: string | null;
  /** When the query sweep looks at it next (a push not made, a verdict not come). */
  nextCheckAt: number;
  /** Queries made so far. */
  queries: number;
  settledAt: number | null;
  failure: PaymentFailure | null;
  resultCode: number | null;
  resultDesc: string | null;
  receipt: string | null;
  /** Shillings confirmed (the callback's Amount; the query confirms without one: `amount`). */
  paidAmount: number | null;
  /** The end of the subscription this payment started or extended. */
  subscribedUntil: number | null;
}

/** What became of a settle: applied now, or already so (a duplicate), or no such payment. */
export type Settled =
  | { applied: true; payment: PaymentRecord }
  | { applied: false; payment: PaymentRecord | null };

export type SettleVerdict =
  | { kind: 'paid'; amount: number; receipt: string | null; resultDesc: string }
  | { kind: 'failed'; failure: PaymentFailure; resultCode: number | null; resultDesc: string }
  | { kind: 'expired'; resultDesc: string };

/** Daraja's ids of a push it accepted. */
export interface PushIds {
  checkoutRequestId: string;
  merchantRequestId: string;
}

interface Within {
  deadline: number;
}

export interface PaymentRecords {
  /**
   * Writes a new payment (status requested), once per id: the payment that stands is returned,
   * `created` only when this call wrote it. With `openSince`, a phone that already has another
   * payment still open (requested or pushed) requested at or after it gets that one back instead,
   * in the same transaction: two accepts at once (two sessions, two replicas) are one push.
   */
  createPayment(
    payment: PaymentRecord,
    within: Within,
    options?: { openSince?: number },
  ): Promise<{ payment: PaymentRecord; created: boolean }>;
  /**
   * Takes a payment for one process for `leaseMs` (a push or a query), if it is still open
   * (requested or pushed) and nobody else holds it: the sweep of every replica, and a restarted
   * one, take each payment once at a time. Null when it is not to be had.
   */
  claimPayment(id: string, now: number, leaseMs: number, within: Within): Promise<PaymentRecord | null>;
  /** Open payments whose next check is due and that nobody holds, oldest first. */
  duePayments(now: number, limit: number, within: Within): Promise<string[]>;
  /** A push was started (claimed): its outcome is unknown from now until Daraja answers. */
  startPush(id: string, now: number, within: Within): Promise<void>;
  /** Daraja accepted the push; the claim is released and the next check set. */
  markPushed(id: string, ids: PushIds, nextCheckAt: number, within: Within): Promise<void>;
  /** No verdict yet: the claim is released and the next check set. */
  reschedule(id: string, nextCheckAt: number, queries: number, within: Within): Promise<void>;
  /**
   * Applies a verdict once: a payment confirmed becomes paid and starts (or extends) the phone's
   * subscription by its days in the same transaction; a failure or expiry is recorded on an open
   * payment. Applying it again changes nothing (`applied: false`). A settle that applied leaves
   * the payment's profile "to tell" (profilesToTell) until told.
   */
  settlePayment(id: string, verdict: SettleVerdict, now: number, within: Within): Promise<Settled>;
  paymentByCheckout(checkoutRequestId: string, within: Within): Promise<PaymentRecord | null>;
  /**
   * A push whose answer never came (cut off, timed out) has no CheckoutRequestID, yet Daraja may
   * have made it: its confirmation names the phone. Gives the phone's newest payment of `amount`
   * whose push was started at or after `since` and never answered, not paid, those ids (once:
   * only while it has none), and returns it; null when there is none.
   */
  adoptCheckout(
    phoneHash: string,
    amount: number,
    since: number,
    ids: PushIds,
    within: Within,
  ): Promise<PaymentRecord | null>;
  /** The phone was shown this payment's outcome (getPhone's paymentSeen). */
  markPaymentSeen(id: string, within: Within): Promise<void>;
  /** Settled payments whose phone's cached profile has not been told yet (a lost Redis, a crash). */
  profilesToTell(limit: number, within: Within): Promise<{ id: string; phoneHash: string }[]>;
  /** The phone's cached profile was told of this payment's outcome. */
  markProfileTold(id: string, within: Within): Promise<void>;
}
