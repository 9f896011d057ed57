// The Daraja client against the fake Daraja on loopback: the token (Basic auth, reuse, expiry, a
// token Daraja calls invalid), the STK push with every field, Daraja's refusals as typed errors
// with their real codes, time limits, and the status query.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { PaymentHttpError, PaymentNetworkError, PaymentTimeoutError } from '../../src/errors.ts';
import { createLogger } from '../../src/logger.ts';
import { createMpesaClient, type MpesaOptions } from '../../src/payments/mpesa.ts';
import { checkDaraja } from '../../src/payments/setup.ts';
import { DARAJA_CREDENTIALS, type FakeDaraja, startFakeDaraja } from '../helpers/fake-daraja.ts';

let daraja: FakeDaraja;
beforeEach(async () => {
  daraja = await startFakeDaraja({ outcome: 'never' });
});
afterEach(async () => {
  await daraja.close();
});

function client(over: Partial<MpesaOptions> = {}) {
  return createMpesaClient({
    apiUrl: daraja.url,
    ...DARAJA_CREDENTIALS,
    partyB: DARAJA_CREDENTIALS.shortcode,
    transactionType: 'CustomerPayBillOnline',
    callbackUrl: 'https://gw.example.org/mpesa/callback/0123456789abcdef',
    accountReference: 'Ask',
    transactionDesc: 'Ask 30 days',
    ...over,
  });
}

const paying = { msisdn: '254711000001', amount: 20 };

describe('Daraja client', () => {
  it('sends the STK push with every field Daraja requires, signed in Nairobi time', async () => {
    const accepted = await client().push(paying);
    expect(accepted.checkoutRequestId).toMatch(/^ws_CO_\d+$/);
    expect(accepted.customerMessage).toBe('Success. Request accepted for processing');
    const body = daraja.pushes[0]?.body ?? {};
    expect(body).toMatchObject({
      BusinessShortCode: '174379',
      TransactionType: 'CustomerPayBillOnline',
      Amount: 20,
      PartyA: '254711000001',
      PartyB: '174379',
      PhoneNumber: '254711000001',
      CallBackURL: 'https://gw.example.org/mpesa/callback/0123456789abcdef',
      AccountReference: 'Ask',
      TransactionDesc: 'Ask 30 days',
    });
    const ts = String(body['Timestamp']);
    expect(Buffer.from(String(body['Password']), 'base64').toString()).toBe(
      `174379${DARAJA_CREDENTIALS.passkey}${ts}`,
    );
  });

  it('fetches a token with Basic auth once and reuses it', async () => {
    const c = client();
    await Promise.all([c.push(paying), c.push(paying), c.query('ws_CO_x').catch(() => {})]);
    await c.push(paying);
    expect(daraja.tokens()).toBe(1);
  });

  it('fetches a new token shortly before the old one expires', async () => {
    daraja.set({ tokenTtlSeconds: 1 });
    const c = client();
    await c.push(paying);
    await c.push(paying);
    expect(daraja.tokens()).toBe(1);
    await new Promise((r) => setTimeout(r, 600)); // past half of a 1 s token's life
    await c.push(paying);
    expect(daraja.tokens()).toBe(2);
  });

  it('fetches a new token once when Daraja calls ours invalid (404.001.03)', async () => {
    const c = client();
    await c.push(paying);
    daraja.revokeTokens();
    await c.push(paying);
    expect(daraja.tokens()).toBe(2);
    expect(daraja.pushes).toHaveLength(2);
  });

  it('reports wrong consumer credentials with Daraja code 400.008.01', async () => {
    const error = await client({ consumerSecret: 'wrong' })
      .push(paying)
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(PaymentHttpError);
    expect(error).toMatchObject({ status: 400, code: '400.008.01' });
    expect((error as Error).message).not.toContain('wrong');
    expect(daraja.pushes).toHaveLength(0);
  });

  it('checks the credentials at start: a token, logged; wrong keys logged naming the variables', async () => {
    const lines: string[] = [];
    const logger = createLogger('info', [], { write: (l: string) => lines.push(l) });
    const good = client();
    await checkDaraja(good, logger);
    await good.push(paying);
    expect(daraja.tokens()).toBe(1); // the start-up token is the one the push uses
    await checkDaraja(client({ consumerSecret: 'wrong' }), logger);
    await checkDaraja(client({ apiUrl: 'http://127.0.0.1:9' }), logger);
    const logged = lines.map((l) => JSON.parse(l) as { level: number; msg: string });
    expect(logged.map((l) => [l.level, l.msg.split(':')[0]])).toEqual([
      [30, '[payments] Daraja gave a token'],
      [50, '[payments] Daraja refused a token'],
      [50, '[payments] Daraja not reachable at start (MPESA_API_URL)'],
    ]);
    expect(logged[1]?.msg).toContain('MPESA_CONSUMER_KEY, MPESA_CONSUMER_SECRET');
  });

  it.each([
    ['an amount of 0', { amount: 0 }, {}, 400, '400.002.02', 'Bad Request - Invalid Amount'],
    ['a fractional amount', { amount: 20.5 }, {}, 400, '400.002.02', 'Bad Request - Invalid Amount'],
    ['a foreign number', { msisdn: '25571100000' }, {}, 400, '400.002.02', 'Bad Request - Invalid PartyA'],
    [
      'a long AccountReference',
      {},
      { accountReference: 'Ask-a-question' },
      400,
      '400.002.02',
      'Bad Request - Invalid AccountReference',
    ],
    ['a wrong passkey', {}, { passkey: 'nope' }, 500, '500.001.1001', 'Wrong credentials'],
    [
      'a wrong shortcode',
      {},
      { shortcode: '600000' },
      400,
      '400.002.02',
      'Bad Request - Invalid BusinessShortCode',
    ],
  ] as const)('refuses a push with %s as Daraja does', async (_name, req, over, status, code, message) => {
    const error = await client(over)
      .push({ ...paying, ...req })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(PaymentHttpError);
    expect(error).toMatchObject({ status, code });
    expect((error as Error).message).toContain(message);
  });

  it('reports a busy Daraja as the error it sent', async () => {
    daraja.set({ pushError: { status: 500, errorCode: '500.003.02', errorMessage: 'System is busy' } });
    await expect(client().push(paying)).rejects.toMatchObject({ code: '500.003.02' });
  });

  it('gives up on a push after its time limit, as unknown', async () => {
    daraja.set({ pushDelayMs: 400 });
    const started = Date.now();
    const error = await client({ timeoutMs: 100 })
      .push(paying)
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(PaymentTimeoutError);
    expect(Date.now() - started).toBeLessThan(350);
  });

  it('reports an unreachable Daraja', async () => {
    await expect(client({ apiUrl: 'http://127.0.0.1:1' }).push(paying)).rejects.toBeInstanceOf(
      PaymentNetworkError,
    );
  });

  describe('status query', () => {
    it('says pending while the phone has not answered ("The transaction is being processed")', async () => {
      const c = client();
      const { checkoutRequestId } = await c.push(paying);
      expect(await c.query(checkoutRequestId)).toEqual({ kind: 'pending', checkoutRequestId });
    });

    it.each([
      ['paid', { kind: 'paid', amount: null, receipt: null }],
      ['cancelled', { kind: 'failed', failure: 'cancelled', resultCode: 1032 }],
      ['wrong-pin', { kind: 'failed', failure: 'wrong-pin', resultCode: 2001 }],
      ['no-answer', { kind: 'failed', failure: 'no-answer', resultCode: 1037 }],
      ['insufficient', { kind: 'failed', failure: 'insufficient', resultCode: 1 }],
    ] as const)('reads a %s verdict', async (outcome, expected) => {
      daraja.set({ outcome, verdictMs: 0, callbacks: 0 });
      const c = client();
      const { checkoutRequestId } = await c.push(paying);
      expect(await c.query(checkoutRequestId)).toMatchObject({ ...expected, checkoutRequestId });
    });

    it('refuses an unknown CheckoutRequestID with 400.002.02', async () => {
      await expect(client().query('ws_CO_000')).rejects.toMatchObject({
        status: 400,
        code: '400.002.02',
      });
    });
  });
});
