// The payments boundary (issue 14): how accepting the offer turns into money. Two drivers:
// intent.ts (the default, PAYMENTS_MODE=intent: accepting is recorded as intent and unlocks the
// quota at once, no money moves) and mpesa.ts (Safaricom Daraja's M-Pesa Express, the STK push:
// shared/research/sms-payments.md §2.2). Data and interfaces only.

import type { PaymentFailure, PaymentNotice } from '../types.ts';

export type PaymentsMode = 'intent' | 'mpesa';

/**
 * Why a payment did not go through (src/types.ts). Daraja's result codes (sms-payments.md §2.2;
 * the third-party lists disagree beyond these, so any other code is `other` and its ResultDesc is
 * kept): 1032 cancelled by the user, 1037 the phone could not be reached or nobody entered the
 * PIN, 2001 wrong PIN, 1 insufficient balance. `expired`: no verdict from Daraja in time.
 */
export type { PaymentFailure };

/** An STK push to send: the phone gets the PIN prompt for `amount` whole shillings. */
export interface PushRequest {
  /** 2547XXXXXXXX (or 2541…): Daraja's PartyA and PhoneNumber. */
  msisdn: string;
  amount: number;
}

/** Daraja's synchronous answer to a push it accepted ("Success. Request accepted for processing"). */
export interface PushAccepted {
  merchantRequestId: string;
  checkoutRequestId: string;
  customerMessage: string;
}

/** What Daraja says became of a push: by its callback, or by the status query. */
export type PaymentVerdict =
  | {
      kind: 'paid';
      checkoutRequestId: string;
      /** From the callback's metadata; null when the verdict came from the query, which has none. */
      amount: number | null;
      receipt: string | null;
      msisdn: string | null;
      resultDesc: string;
    }
  | {
      kind: 'failed';
      checkoutRequestId: string;
      failure: PaymentFailure;
      resultCode: number;
      resultDesc: string;
    };

/** The query's answer: a verdict, or "The transaction is being processed". */
export type QueryOutcome = PaymentVerdict | { kind: 'pending'; checkoutRequestId: string };

/** The M-Pesa side: Daraja's two calls (the callback is parsed by daraja-wire.ts). */
export interface MobileMoney {
  /** Sends the STK push. Throws PaymentHttpError (Daraja refused), PaymentNetworkError, PaymentTimeoutError. */
  push(request: PushRequest): Promise<PushAccepted>;
  /** Asks Daraja what became of a push. Throws as push() does. */
  query(checkoutRequestId: string): Promise<QueryOutcome>;
}

/** A payment the hop asks for: written durably before the user is told, pushed after the reply. */
export interface PaymentRequest {
  sessionId: string;
  /** The phone's keyed hash (the records' key) and its number (Daraja needs it). */
  phoneHash: string;
  phone: string;
  /** Epoch ms the hop arrived. */
  at: number;
  /** The hop's deadline: a record written later than this is not pushed (the phone got the fallback). */
  deadline: number;
}

/** The payments the gateway takes, as the hop and the composition root see them. */
export interface Payments {
  readonly mode: PaymentsMode;
  /**
   * Records the payment (durable when this resolves) and pushes it shortly after the hop's reply.
   * Throws PaymentRecordError when it could not be recorded: the user is then not told to pay.
   */
  request(request: PaymentRequest): Promise<PaymentNotice>;
  /** Stops the background work (pushes due, the query sweep) and waits for calls in flight. */
  close(): Promise<void>;
}

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

/** The payment records, kept in the records store beside the subscriptions they start. */
export interface PaymentRecords {
  /** Writes a new payment (status requested); by `deadline`, or not at all. */
  createPayment(payment: PaymentRecord, deadline: number): Promise<void>;
  /**
   * Takes a payment for one process for `leaseMs` (a push or a query), if it is still open
   * (requested or pushed) and nobody else holds it: the sweep of every replica, and a restarted
   * one, take each payment once at a time. Null when it is not to be had.
   */
  claimPayment(id: string, now: number, leaseMs: number): Promise<PaymentRecord | null>;
  /** Open payments whose next check is due and that nobody holds, oldest first. */
  duePayments(now: number, limit: number): Promise<string[]>;
  /** A push was started (claimed): its outcome is unknown from now until Daraja answers. */
  startPush(id: string, now: number): Promise<void>;
  /** Daraja accepted the push; the claim is released and the next check set. */
  markPushed(id: string, accepted: PushAccepted, nextCheckAt: number): Promise<void>;
  /** No verdict yet: the claim is released and the next check set. */
  reschedule(id: string, nextCheckAt: number, queries: number): Promise<void>;
  /**
   * Applies a verdict once: a payment confirmed becomes paid and starts (or extends) the phone's
   * subscription by its days in the same transaction; a failure or expiry is recorded on an open
   * payment. Applying it again changes nothing (`applied: false`).
   */
  settlePayment(id: string, verdict: SettleVerdict, now: number): Promise<Settled>;
  paymentByCheckout(checkoutRequestId: string): Promise<PaymentRecord | null>;
}

export type SettleVerdict =
  | { kind: 'paid'; amount: number; receipt: string | null; resultDesc: string }
  | { kind: 'failed'; failure: PaymentFailure; resultCode: number | null; resultDesc: string }
  | { kind: 'expired'; resultDesc: string };
