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
  /** Gets (or reuses) the OAuth token: the consumer key and secret work. Throws as push() does. */
  checkCredentials(): Promise<void>;
}

/** A payment the hop asks for: written durably before the user is told, pushed after the reply. */
export interface PaymentRequest {
  /** The idempotency key: the same hop run again asks for the same payment. */
  id: string;
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
