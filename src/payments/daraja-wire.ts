// Daraja's wire format, as pure functions: the Timestamp and Password of a request, the phone and
// amount as Daraja takes them, and the reading of its answers (the STK callback, the status query,
// the error bodies). Sources: shared/research/sms-payments.md §2.2, and Safaricom's portal pages
// for M-Pesa Express as captured in public repositories (request fields and limits, the success
// and callback bodies, the error table). No I/O, no clock: `now` is given.
import { z } from 'zod';
import type { PaymentFailure, PaymentVerdict, QueryOutcome } from './types.ts';

/** Daraja's limits: AccountReference ≤ 12 characters, TransactionDesc ≤ 13, KES 1 .. 250,000. */
export const ACCOUNT_REFERENCE_MAX = 12;
export const TRANSACTION_DESC_MAX = 13;
export const MAX_AMOUNT = 250_000;

/** Nairobi is UTC+3 all year (no daylight saving): Daraja's Timestamp is in that time. */
const NAIROBI_OFFSET_MS = 3 * 3_600_000;

/** `YYYYMMDDHHmmss` in Nairobi time. */
export function darajaTimestamp(now: number): string {
  return new Date(now + NAIROBI_OFFSET_MS).toISOString().replace(/[-:T]/g, '').slice(0, 14);
}

/** base64(BusinessShortCode + Passkey + Timestamp). */
export function darajaPassword(shortcode: string, passkey: string, timestamp: string): string {
  return Buffer.from(`${shortcode}${passkey}${timestamp}`).toString('base64');
}

/** AT's `+2547…`/`+2541…` as Daraja's PartyA and PhoneNumber (`2547…`); null for any other number. */
export function toMsisdn(phone: string): string | null {
  const m = /^\+?(254[17]\d{8})$/.exec(phone.trim());
  return m?.[1] ?? null;
}

/**
 * The whole number of shillings in a price as shown on the offer: "KES 20", "Ksh 20", "KSh. 20"
 * or "20". Null for anything else ("KES 20.50", "USD 1", "free"): Daraja takes whole shillings only.
 */
export function priceAmount(price: string): number | null {
  const m = /^\s*(?:(?:KES|KSH|KSh|Ksh)\.?\s*)?([1-9]\d{0,5})\s*$/.exec(price);
  if (!m?.[1]) return null;
  const amount = Number(m[1]);
  return amount <= MAX_AMOUNT ? amount : null;
}

/** The failure a non-zero ResultCode means (sms-payments.md §2.2; types.ts PaymentFailure). */
export function failureOf(resultCode: number): PaymentFailure {
  switch (resultCode) {
    case 1032:
      return 'cancelled';
    case 1037:
      return 'no-answer';
    case 2001:
      return 'wrong-pin';
    case 1:
      return 'insufficient';
    default:
      return 'other';
  }
}

// ResultCode is a number in the callback and a string in the query's answer: both are read.
const resultCode = z.union([z.number().int(), z.string().regex(/^\d+$/).transform(Number)]);
const item = z.object({ Name: z.string(), Value: z.union([z.string(), z.number()]).optional() });
const CALLBACK = z.object({
  Body: z.object({
    stkCallback: z.object({
      MerchantRequestID: z.string().min(1).max(100),
      CheckoutRequestID: z.string().min(1).max(100),
      ResultCode: resultCode,
      ResultDesc: z.string().max(500),
      CallbackMetadata: z.object({ Item: z.array(item).max(20) }).optional(),
    }),
  }),
});

export type ParsedCallback =
  | { ok: true; merchantRequestId: string; verdict: PaymentVerdict }
  | { ok: false; error: string };

/**
 * Reads Daraja's STK callback: `Body.stkCallback`, with `CallbackMetadata.Item[]` (Amount,
 * MpesaReceiptNumber, TransactionDate, PhoneNumber, maybe a Balance without Value) on success and
 * no metadata on failure. A success without its amount, receipt or phone is not a confirmation.
 */
export function parseStkCallback(body: unknown): ParsedCallback {
  const parsed = CALLBACK.safeParse(body);
  if (!parsed.success) {
    const first = parsed.error.issues[0];
    return {
      ok: false,
      error: `not an STK callback: ${first?.path.join('.') ?? ''} ${first?.message ?? ''}`,
    };
  }
  const cb = parsed.data.Body.stkCallback;
  const base = { merchantRequestId: cb.MerchantRequestID };
  if (cb.ResultCode !== 0) {
    return {
      ok: true,
      ...base,
      verdict: {
        kind: 'failed',
        checkoutRequestId: cb.CheckoutRequestID,
        failure: failureOf(cb.ResultCode),
        resultCode: cb.ResultCode,
        resultDesc: cb.ResultDesc,
      },
    };
  }
  const items = new Map((cb.CallbackMetadata?.Item ?? []).map((i) => [i.Name, i.Value]));
  const amount = Number(items.get('Amount'));
  const receipt = items.get('MpesaReceiptNumber');
  const msisdn = items.get('PhoneNumber');
  if (!Number.isFinite(amount) || typeof receipt !== 'string' || receipt === '' || msisdn === undefined)
    return { ok: false, error: 'a success without Amount, MpesaReceiptNumber and PhoneNumber' };
  return {
    ok: true,
    ...base,
    verdict: {
      kind: 'paid',
      checkoutRequestId: cb.CheckoutRequestID,
      amount,
      receipt,
      msisdn: String(msisdn),
      resultDesc: cb.ResultDesc,
    },
  };
}

const ERROR_BODY = z.object({ errorCode: z.string(), errorMessage: z.string() });

/** Daraja's error body `{requestId, errorCode, errorMessage}`, or null when the body is not one. */
export function errorBody(body: unknown): { code: string; message: string } | null {
  const parsed = ERROR_BODY.safeParse(body);
  return parsed.success ? { code: parsed.data.errorCode, message: parsed.data.errorMessage } : null;
}

/**
 * Daraja's "still waiting for the phone" answer to a status query: HTTP 500 with errorCode
 * 500.001.1001 and "The transaction is being processed" (the same code also means other things:
 * wrong credentials, merchant unknown, so the message decides).
 */
export function isStillProcessing(status: number, body: unknown): boolean {
  const error = errorBody(body);
  return status >= 400 && error !== null && /being processed/i.test(error.message);
}

const QUERY = z.object({
  ResponseCode: z.union([z.string(), z.number()]).transform(String),
  CheckoutRequestID: z.string().optional(),
  ResultCode: resultCode,
  ResultDesc: z.string(),
});

/** The query's 200 answer: `{ResponseCode:"0", …, ResultCode:"1032", ResultDesc}`. Null when it is not one. */
export function parseQueryAnswer(checkoutRequestId: string, body: unknown): QueryOutcome | null {
  const parsed = QUERY.safeParse(body);
  if (!parsed.success || parsed.data.ResponseCode !== '0') return null;
  const { ResultCode: code, ResultDesc: desc } = parsed.data;
  if (code === 0)
    return { kind: 'paid', checkoutRequestId, amount: null, receipt: null, msisdn: null, resultDesc: desc };
  return { kind: 'failed', checkoutRequestId, failure: failureOf(code), resultCode: code, resultDesc: desc };
}
