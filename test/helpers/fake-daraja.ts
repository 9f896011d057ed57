// A fake Safaricom Daraja speaking the real wire format on loopback (shared/research/sms-payments.md
// §2.2), for the payment tests: the OAuth token (Basic auth, tokens that expire), the STK push with
// Daraja's field checks and error bodies, the asynchronous callback posted to CallBackURL with the
// real payload, and the status query. Its bodies follow Safaricom's portal pages for M-Pesa Express
// as captured in public repositories: the request table (every field but TransactionDesc
// mandatory; AccountReference ≤ 12, TransactionDesc ≤ 13, KES 1..250,000), the success body
// ("Success. Request accepted for processing"), the callbacks (metadata only on success), the
// error table (`{requestId, errorCode, errorMessage}`: 400.002.02 "Bad Request - Invalid <field>",
// 404.001.03 "Invalid Access Token", 500.001.1001 "Wrong credentials", 500.003.02 "System is
// busy"), the OAuth refusal (400.008.01 "Invalid Authentication passed"), and the query's answers
// (ResultCode as a string; HTTP 500 500.001.1001 "The transaction is being processed" while the
// phone has not answered). The error bodies as developers met them: a wrong Password is 500.001.1001
// "Wrong credentials" (safaricom/LNMOnlineAndroidSample#8, safaricom/mpesa-node-library#47), a bad
// token HTTP 404 404.001.03 (LNMOnlineAndroidSample#11), a bad grant 400.008.02 (#34 there).
// It imports nothing from vitest.
import { randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/** What the phone does with the prompt. `never`: Daraja never reaches a verdict. */
export type Outcome = 'paid' | 'cancelled' | 'no-answer' | 'wrong-pin' | 'insufficient' | 'never';

const RESULTS: Record<Exclude<Outcome, 'never'>, [code: number, desc: string]> = {
  paid: [0, 'The service request is processed successfully.'],
  cancelled: [1032, 'Request cancelled by user'],
  'no-answer': [1037, 'DS timeout user cannot be reached'],
  'wrong-pin': [2001, 'The initiator information is invalid.'],
  insufficient: [1, 'The balance is insufficient for the transaction.'],
};

export interface DarajaKnobs {
  outcome: Outcome;
  /** Delay between the push and Daraja's verdict (the callback, and the query's answer). */
  verdictMs: number;
  /** Times the callback is posted: 0 loses it (the query still knows), 2 sends it twice. */
  callbacks: number;
  /** Lifetime of the tokens issued ("expires_in"). */
  tokenTtlSeconds: number;
  /** Answer pushes with this error instead (e.g. 500.003.02 System is busy). */
  pushError: { status: number; errorCode: string; errorMessage: string } | null;
  /** Delay before answering a push (a slow or hung Daraja). */
  pushDelayMs: number;
}

export interface FakePush {
  body: Record<string, unknown>;
  merchantRequestId: string;
  checkoutRequestId: string;
  outcome: Outcome;
  at: number;
  /** Statuses our callback route answered. */
  callbackStatuses: number[];
  receipt: string;
}

export interface FakeDaraja {
  url: string;
  pushes: FakePush[];
  /** Tokens issued so far. */
  tokens(): number;
  /** Forgets every token issued: Daraja then answers 404.001.03 to them. */
  revokeTokens(): void;
  /** Requests by path, e.g. count('/mpesa/stkpushquery/v1/query'). */
  count(path: string): number;
  set(knobs: Partial<DarajaKnobs>): void;
  /** The real callback payload for a push, with fields overridden (forgeries). */
  callbackBody(push: FakePush, over?: { resultCode?: number; amount?: number; phone?: number }): unknown;
  /** Posts a callback body to the push's CallBackURL (or `url`); resolves to the HTTP status. */
  post(push: FakePush, body: unknown, url?: string): Promise<number>;
  /** Resolves once every callback due so far has been posted. */
  settled(): Promise<void>;
  close(): Promise<void>;
}

export const DARAJA_CREDENTIALS = {
  consumerKey: 'fake-consumer-key',
  consumerSecret: 'fake-consumer-secret',
  // The sandbox's public test values (sms-payments.md §2.2).
  shortcode: '174379',
  passkey: 'bfb279f9aa9bdbcf158e97dd71a467cd2e0c893059b10f78e6b72ada1ed2c919',
};

const DEFAULTS: DarajaKnobs = {
  outcome: 'paid',
  verdictMs: 20,
  callbacks: 1,
  tokenTtlSeconds: 3599,
  pushError: null,
  pushDelayMs: 0,
};

export async function startFakeDaraja(initial: Partial<DarajaKnobs> = {}): Promise<FakeDaraja> {
  let knobs: DarajaKnobs = { ...DEFAULTS, ...initial };
  const tokens = new Map<string, number>(); // token → expiry
  let issued = 0;
  const pushes: FakePush[] = [];
  const counts = new Map<string, number>();
  const inFlight = new Set<Promise<unknown>>();
  const timers = new Set<NodeJS.Timeout>();
  const { consumerKey, consumerSecret, shortcode, passkey } = DARAJA_CREDENTIALS;

  const server = createServer((req, res) => {
    void handle(req, res).catch(() => res.destroy());
  });

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const raw = await readBody(req);
    const url = new URL(req.url ?? '/', 'http://fake');
    counts.set(url.pathname, (counts.get(url.pathname) ?? 0) + 1);
    if (req.method === 'GET' && url.pathname === '/oauth/v1/generate') {
      if (url.searchParams.get('grant_type') !== 'client_credentials')
        return error(res, 400, '400.008.02', 'Invalid grant type passed');
      const expected = `Basic ${Buffer.from(`${consumerKey}:${consumerSecret}`).toString('base64')}`;
      if (req.headers.authorization !== expected)
        return error(res, 400, '400.008.01', 'Invalid Authentication passed');
      const token = randomBytes(14)
        .toString('base64')
        .replace(/[^A-Za-z0-9]/g, 'x');
      tokens.set(token, Date.now() + knobs.tokenTtlSeconds * 1000);
      issued++;
      return json(res, 200, { access_token: token, expires_in: String(knobs.tokenTtlSeconds) });
    }
    if (req.method !== 'POST') return error(res, 405, '405.001', 'Method Not Allowed');
    if (
      url.pathname !== '/mpesa/stkpush/v1/processrequest' &&
      url.pathname !== '/mpesa/stkpushquery/v1/query'
    )
      return error(res, 404, '404.001.01', 'Resource not found');
    const bearer = /^Bearer (.+)$/.exec(req.headers.authorization ?? '')?.[1] ?? '';
    if ((tokens.get(bearer) ?? 0) < Date.now()) return error(res, 404, '404.001.03', 'Invalid Access Token');
    let body: Record<string, unknown>;
    try {
      if (!(req.headers['content-type'] ?? '').startsWith('application/json')) throw new Error('not JSON');
      body = JSON.parse(raw) as Record<string, unknown>;
    } catch {
      return error(res, 400, '400.002.02', 'Bad Request - Invalid Request Payload');
    }
    const refused = checkSigned(body);
    if (refused) return error(res, refused[0], refused[1], refused[2]);
    return url.pathname === '/mpesa/stkpushquery/v1/query' ? query(res, body) : push(res, body);
  }

  function checkSigned(b: Record<string, unknown>): [number, string, string] | null {
    if (String(b['BusinessShortCode']) !== shortcode) return badRequest('BusinessShortCode');
    const ts = String(b['Timestamp'] ?? '');
    if (!/^\d{14}$/.test(ts) || !nearNairobiNow(ts)) return badRequest('Timestamp');
    const password = Buffer.from(`${shortcode}${passkey}${ts}`).toString('base64');
    if (b['Password'] !== password) return [500, '500.001.1001', 'Wrong credentials'];
    return null;
  }

  async function push(res: ServerResponse, b: Record<string, unknown>): Promise<void> {
    if (knobs.pushDelayMs > 0) await new Promise((r) => setTimeout(r, knobs.pushDelayMs));
    const refused = checkPush(b);
    if (refused) return error(res, refused[0], refused[1], refused[2]);
    if (knobs.pushError) {
      const e = knobs.pushError;
      return error(res, e.status, e.errorCode, e.errorMessage);
    }
    const n = pushes.length + 1;
    const p: FakePush = {
      body: b,
      merchantRequestId: `${10000 + n}-${randomDigits(8)}-1`,
      checkoutRequestId: `ws_CO_${nairobiStamp(Date.now())}${randomDigits(10)}`,
      outcome: knobs.outcome,
      at: Date.now(),
      callbackStatuses: [],
      receipt: `T${randomBytes(6).toString('hex').toUpperCase().slice(0, 9)}`,
    };
    pushes.push(p);
    json(res, 200, {
      MerchantRequestID: p.merchantRequestId,
      CheckoutRequestID: p.checkoutRequestId,
      ResponseCode: '0',
      ResponseDescription: 'Success. Request accepted for processing',
      CustomerMessage: 'Success. Request accepted for processing',
    });
    if (p.outcome === 'never') return;
    for (let i = 0; i < knobs.callbacks; i++) {
      const timer = setTimeout(
        () => {
          timers.delete(timer);
          track(post(p, callbackOf(p)).catch(() => 0));
        },
        knobs.verdictMs + i * 10,
      );
      timers.add(timer);
    }
  }

  function checkPush(b: Record<string, unknown>): [number, string, string] | null {
    const msisdn = /^254\d{9}$/;
    if (!['CustomerPayBillOnline', 'CustomerBuyGoodsOnline'].includes(String(b['TransactionType'])))
      return badRequest('TransactionType');
    const amount = String(b['Amount'] ?? '');
    if (!/^\d+(\.0+)?$/.test(amount) || Number(amount) < 1 || Number(amount) > 250_000)
      return badRequest('Amount');
    if (!msisdn.test(String(b['PartyA'] ?? ''))) return badRequest('PartyA');
    if (!/^\d{5,7}$/.test(String(b['PartyB'] ?? ''))) return badRequest('PartyB');
    if (!msisdn.test(String(b['PhoneNumber'] ?? ''))) return badRequest('PhoneNumber');
    // Daraja wants public HTTPS; loopback HTTP is allowed here, where the gateway under test listens.
    const cb = String(b['CallBackURL'] ?? '');
    if (!URL.canParse(cb) || !/^https?:$/.test(new URL(cb).protocol)) return badRequest('CallBackURL');
    const ref = String(b['AccountReference'] ?? '');
    if (ref.length < 1 || ref.length > 12) return badRequest('AccountReference');
    if (String(b['TransactionDesc'] ?? '').length > 13) return badRequest('TransactionDesc');
    return null;
  }

  function query(res: ServerResponse, b: Record<string, unknown>) {
    const p = pushes.find((x) => x.checkoutRequestId === b['CheckoutRequestID']);
    if (!p) return error(res, 400, '400.002.02', 'Bad Request - Invalid CheckoutRequestID');
    if (p.outcome === 'never' || Date.now() < p.at + knobs.verdictMs)
      return error(res, 500, '500.001.1001', 'The transaction is being processed');
    const [code, desc] = RESULTS[p.outcome];
    json(res, 200, {
      ResponseCode: '0',
      ResponseDescription: 'The service request has been accepted successsfully',
      MerchantRequestID: p.merchantRequestId,
      CheckoutRequestID: p.checkoutRequestId,
      ResultCode: String(code),
      ResultDesc: desc,
    });
  }

  function callbackOf(p: FakePush, over: { resultCode?: number; amount?: number; phone?: number } = {}) {
    const [code, desc] = p.outcome === 'never' ? RESULTS.paid : RESULTS[p.outcome];
    const resultCode = over.resultCode ?? code;
    const stkCallback: Record<string, unknown> = {
      MerchantRequestID: p.merchantRequestId,
      CheckoutRequestID: p.checkoutRequestId,
      ResultCode: resultCode,
      ResultDesc: resultCode === code ? desc : RESULTS.paid[1],
    };
    if (resultCode === 0) {
      stkCallback['CallbackMetadata'] = {
        Item: [
          { Name: 'Amount', Value: over.amount ?? Number(p.body['Amount']) },
          { Name: 'MpesaReceiptNumber', Value: p.receipt },
          { Name: 'Balance' },
          { Name: 'TransactionDate', Value: Number(nairobiStamp(Date.now(), true)) },
          { Name: 'PhoneNumber', Value: over.phone ?? Number(p.body['PhoneNumber']) },
        ],
      };
    }
    return { Body: { stkCallback } };
  }

  async function post(p: FakePush, body: unknown, url = String(p.body['CallBackURL'])): Promise<number> {
    const res = await fetch(url, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify(body),
    });
    await res.text();
    p.callbackStatuses.push(res.status);
    return res.status;
  }

  function track<T>(promise: Promise<T>): Promise<T> {
    inFlight.add(promise);
    void promise.finally(() => inFlight.delete(promise));
    return promise;
  }

  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    pushes,
    tokens: () => issued,
    revokeTokens: () => tokens.clear(),
    count: (path) => counts.get(path) ?? 0,
    set(next) {
      knobs = { ...knobs, ...next };
    },
    callbackBody: callbackOf,
    post: (p, body, url) => track(post(p, body, url)),
    async settled() {
      while (timers.size > 0 || inFlight.size > 0) await new Promise((r) => setTimeout(r, 10));
    },
    async close() {
      for (const t of timers) clearTimeout(t);
      await Promise.allSettled([...inFlight]);
      // Kept-alive sockets of the client under test (one cut off mid-push) would hold close() open.
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

function badRequest(field: string): [number, string, string] {
  return [400, '400.002.02', `Bad Request - Invalid ${field}`];
}

function error(res: ServerResponse, status: number, errorCode: string, errorMessage: string): void {
  json(res, status, { requestId: `${randomDigits(5)}-${randomDigits(8)}-1`, errorCode, errorMessage });
}

function json(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'Content-Type': 'application/json' });
  res.end(JSON.stringify(body));
}

/** Nairobi time (UTC+3) as YYYYMMDDHHmmss; `compact` without the ws_CO_ reordering. */
function nairobiStamp(ms: number, compact = false): string {
  const s = new Date(ms + 3 * 3_600_000).toISOString().replace(/[-:T]/g, '').slice(0, 14);
  // CheckoutRequestIDs carry DDMMYYYYHHmmss, as in "ws_CO_1007202409152617172396192".
  return compact ? s : `${s.slice(6, 8)}${s.slice(4, 6)}${s.slice(0, 4)}${s.slice(8)}`;
}

/** A Timestamp within ten minutes of now in Nairobi: a UTC or local-time stamp is refused. */
function nearNairobiNow(ts: string): boolean {
  const iso = `${ts.slice(0, 4)}-${ts.slice(4, 6)}-${ts.slice(6, 8)}T${ts.slice(8, 10)}:${ts.slice(10, 12)}:${ts.slice(12, 14)}+03:00`;
  const at = Date.parse(iso);
  return Number.isFinite(at) && Math.abs(at - Date.now()) < 10 * 60_000;
}

function randomDigits(n: number): string {
  let s = '';
  while (s.length < n) s += String(randomBytes(4).readUInt32BE(0));
  return s.slice(0, n);
}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}
