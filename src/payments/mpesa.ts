// The MobileMoney driver for Safaricom Daraja's M-Pesa Express (shared/research/sms-payments.md
// §2.2): the OAuth token (Basic auth, reused until shortly before `expires_in`, one fetch shared by
// concurrent callers, fetched again once when Daraja says 404.001.03 "Invalid Access Token"), the
// STK push and the status query. Written by hand: the npm clients are unmaintained (§2.2).
// Must not retry a push (a second push is a second PIN prompt, maybe a second payment), store
// anything or read the callback: payments/ callers do that.
import { PaymentHttpError, PaymentNetworkError, PaymentTimeoutError } from '../errors.ts';
import {
  darajaPassword,
  darajaTimestamp,
  errorBody,
  isStillProcessing,
  parseQueryAnswer,
} from './daraja-wire.ts';
import type { MobileMoney, PushAccepted, PushRequest, QueryOutcome } from './types.ts';

export interface MpesaOptions {
  /** MPESA_API_URL: https://api.safaricom.co.ke, or https://sandbox.safaricom.co.ke */
  apiUrl: string;
  consumerKey: string;
  consumerSecret: string;
  /** BusinessShortCode: the paybill, or the store number for Buy Goods. */
  shortcode: string;
  passkey: string;
  /** PartyB: the shortcode for Pay Bill, the till number for Buy Goods (§2.2). */
  partyB: string;
  transactionType: 'CustomerPayBillOnline' | 'CustomerBuyGoodsOnline';
  /** CallBackURL: the public HTTPS URL of our callback route, secret included. */
  callbackUrl: string;
  /** AccountReference (≤ 12 characters, shown in the PIN prompt) and TransactionDesc (≤ 13). */
  accountReference: string;
  transactionDesc: string;
  /** Limit of one call to Daraja (default 10 s). */
  timeoutMs?: number;
  clock?: () => number;
  fetch?: typeof fetch;
}

/** Daraja's token lasts an hour ("expires_in": "3599"); we stop using it a minute before. */
const TOKEN_MARGIN_MS = 60_000;
const INVALID_TOKEN = '404.001.03';

export function createMpesaClient(opts: MpesaOptions): MobileMoney {
  const { apiUrl, shortcode, passkey, timeoutMs = 10_000 } = opts;
  const clock = opts.clock ?? Date.now;
  const doFetch = opts.fetch ?? fetch;
  const basic = Buffer.from(`${opts.consumerKey}:${opts.consumerSecret}`).toString('base64');
  let token: { value: string; usableUntil: number } | null = null;
  let fetching: Promise<string> | null = null;

  async function accessToken(): Promise<string> {
    if (token && clock() < token.usableUntil) return token.value;
    fetching ??= fetchToken().finally(() => {
      fetching = null;
    });
    return fetching;
  }

  async function fetchToken(): Promise<string> {
    const { status, body } = await call('GET', '/oauth/v1/generate?grant_type=client_credentials', {
      Authorization: `Basic ${basic}`,
    });
    if (status !== 200) throw httpError(status, body, 'token refused');
    const { access_token: value, expires_in: expiresIn } = (body ?? {}) as Record<string, unknown>;
    const ttlMs = Number(expiresIn) * 1000;
    if (typeof value !== 'string' || value === '' || !Number.isFinite(ttlMs) || ttlMs <= 0)
      throw new PaymentNetworkError('token answer without access_token and expires_in');
    // A short-lived token (a sandbox, a test) is still used for most of its life.
    token = { value, usableUntil: clock() + ttlMs - Math.min(TOKEN_MARGIN_MS, ttlMs / 2) };
    return value;
  }

  /** A call with the bearer token; once more with a fresh token when Daraja calls ours invalid. */
  async function authorised(path: string, payload: Record<string, unknown>) {
    for (let attempt = 0; ; attempt++) {
      const bearer = await accessToken();
      const answer = await call('POST', path, { Authorization: `Bearer ${bearer}` }, payload);
      if (attempt === 0 && errorBody(answer.body)?.code === INVALID_TOKEN) {
        if (token?.value === bearer) token = null;
        continue;
      }
      return answer;
    }
  }

  function signed(): { BusinessShortCode: string; Password: string; Timestamp: string } {
    const timestamp = darajaTimestamp(clock());
    return {
      BusinessShortCode: shortcode,
      Password: darajaPassword(shortcode, passkey, timestamp),
      Timestamp: timestamp,
    };
  }

  async function call(
    method: 'GET' | 'POST',
    path: string,
    headers: Record<string, string>,
    payload?: Record<string, unknown>,
  ): Promise<{ status: number; body: unknown }> {
    const signal = AbortSignal.timeout(timeoutMs);
    let res: Response;
    let text: string;
    try {
      res = await doFetch(`${apiUrl}${path}`, {
        method,
        headers: {
          ...headers,
          Accept: 'application/json',
          ...(payload ? { 'Content-Type': 'application/json' } : {}),
        },
        ...(payload ? { body: JSON.stringify(payload) } : {}),
        signal,
      });
      text = await res.text();
    } catch (cause) {
      if (signal.aborted)
        throw new PaymentTimeoutError(`${path.split('?')[0]}: no answer within ${timeoutMs} ms`, { cause });
      throw new PaymentNetworkError(`${path.split('?')[0]}: unreachable at ${apiUrl}`, { cause });
    }
    let body: unknown = null;
    try {
      body = text === '' ? null : JSON.parse(text);
    } catch {
      body = text;
    }
    return { status: res.status, body };
  }

  return {
    async push({ msisdn, amount }: PushRequest): Promise<PushAccepted> {
      const { status, body } = await authorised('/mpesa/stkpush/v1/processrequest', {
        ...signed(),
        TransactionType: opts.transactionType,
        Amount: amount,
        PartyA: msisdn,
        PartyB: opts.partyB,
        PhoneNumber: msisdn,
        CallBackURL: opts.callbackUrl,
        AccountReference: opts.accountReference,
        TransactionDesc: opts.transactionDesc,
      });
      const b = (body ?? {}) as Record<string, unknown>;
      if (status !== 200 || String(b['ResponseCode']) !== '0' || typeof b['CheckoutRequestID'] !== 'string')
        throw httpError(status, body, 'push refused');
      return {
        merchantRequestId: String(b['MerchantRequestID'] ?? ''),
        checkoutRequestId: b['CheckoutRequestID'],
        customerMessage: String(b['CustomerMessage'] ?? ''),
      };
    },

    async checkCredentials(): Promise<void> {
      await accessToken();
    },

    async query(checkoutRequestId: string): Promise<QueryOutcome> {
      const { status, body } = await authorised('/mpesa/stkpushquery/v1/query', {
        ...signed(),
        CheckoutRequestID: checkoutRequestId,
      });
      if (isStillProcessing(status, body)) return { kind: 'pending', checkoutRequestId };
      const outcome = status === 200 ? parseQueryAnswer(checkoutRequestId, body) : null;
      if (!outcome) throw httpError(status, body, 'query refused');
      return outcome;
    },
  };
}

function httpError(status: number, body: unknown, what: string): PaymentHttpError {
  const error = errorBody(body);
  if (error) return new PaymentHttpError(status, error.code, error.message);
  const b = (body ?? {}) as Record<string, unknown>;
  const code = b['ResponseCode'] === undefined ? '' : String(b['ResponseCode']);
  const desc = typeof b['ResponseDescription'] === 'string' ? b['ResponseDescription'] : what;
  return new PaymentHttpError(status, code, desc);
}
