// The real gateway process (src/main.ts, as `npm start` runs it) with PAYMENTS_MODE=mpesa on the
// embedded default (no REDIS_URL: sessions in the process), against the fake Daraja and AT's fake
// SMS API on loopback: main.ts's wiring end to end, and a SIGKILL between the push and Daraja's
// callback. The restarted process, on the same SQLite file, finds the payment by the status query;
// the subscription starts once, the phone is told, and the receipt goes by SMS once.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import { type FakeAtSms, startFakeAtSms } from '../helpers/fake-at-sms.ts';
import { DARAJA_CREDENTIALS, type FakeDaraja, startFakeDaraja } from '../helpers/fake-daraja.ts';
import { freePort, type GatewayProcess, postHop, startGateway } from '../helpers/gateway-process.ts';
import { until } from './gateway.ts';

const PHONE = '+254711000077';
let gateway: GatewayProcess | undefined;
let daraja: FakeDaraja | undefined;
let sms: FakeAtSms | undefined;
let dir = '';
afterEach(async () => {
  await gateway?.stop();
  await daraja?.close();
  await sms?.close();
  rmSync(dir, { recursive: true, force: true });
});

async function dial(g: GatewayProcess, texts: string[]): Promise<string[]> {
  const sessionId = `ATUid_${Math.random().toString(16).slice(2)}`;
  const replies: string[] = [];
  for (const text of texts)
    replies.push((await postHop(`${g.url}/ussd`, { sessionId, text, phoneNumber: PHONE })).body);
  return replies;
}

function payments(path: string): Record<string, unknown>[] {
  const db = new Database(path, { readonly: true });
  try {
    return db.prepare('SELECT status, receipt, paid_amount, subscribed_until FROM payments').all() as Record<
      string,
      unknown
    >[];
  } finally {
    db.close();
  }
}

describe('the gateway process paying by M-Pesa', () => {
  it('killed between the push and the callback: the restarted process finds the money, once', async () => {
    daraja = await startFakeDaraja({ verdictMs: 1_500 });
    sms = await startFakeAtSms();
    dir = mkdtempSync(join(tmpdir(), 'ussd-pay-process-'));
    const port = await freePort();
    const env = {
      PORT: String(port),
      DATABASE_PATH: join(dir, 'ussd.db'),
      PAYMENTS_MODE: 'mpesa',
      MPESA_CONSUMER_KEY: DARAJA_CREDENTIALS.consumerKey,
      MPESA_CONSUMER_SECRET: DARAJA_CREDENTIALS.consumerSecret,
      MPESA_SHORTCODE: DARAJA_CREDENTIALS.shortcode,
      MPESA_PASSKEY: DARAJA_CREDENTIALS.passkey,
      MPESA_CALLBACK_URL: `http://127.0.0.1:${port}/mpesa/callback/cb-secret-0123456789abcdef`,
      MPESA_API_URL: daraja.url,
      MPESA_QUERY_AFTER_SECONDS: '5',
      ...{ AT_USERNAME: sms.username, AT_API_KEY: sms.apiKey, AT_API_URL: sms.url },
    };
    gateway = await startGateway(env);
    const replies = await dial(gateway, ['', '2', '2*2', '2*2*1']);
    expect(replies.at(-1)).toBe('END Check your phone: enter your M-Pesa PIN to pay KES 20.');
    await until(() => payments(env.DATABASE_PATH)[0]?.['status'] === 'pushed', 10_000);
    expect(daraja.pushes[0]?.body).toMatchObject({ Amount: 20, PhoneNumber: '254711000077' });

    const killed = gateway.child;
    await new Promise((resolve) => {
      killed.once('exit', resolve);
      killed.kill('SIGKILL');
    });
    await gateway.stop();
    await daraja.settled(); // the callback came to a dead port: lost
    expect(daraja.pushes[0]?.callbackStatuses).toEqual([]);
    expect(payments(env.DATABASE_PATH)).toMatchObject([{ status: 'pushed' }]);

    gateway = await startGateway(env);
    await until(() => payments(env.DATABASE_PATH)[0]?.['status'] === 'paid', 20_000);
    expect(daraja.count('/mpesa/stkpushquery/v1/query')).toBeGreaterThanOrEqual(1);
    expect(daraja.pushes).toHaveLength(1);
    const [opening] = await dial(gateway, ['']);
    expect(opening).toMatch(/^CON Payment received\. Unlimited questions until \d{1,2} \w{3}\./);
    const [, account, offer] = await dial(gateway, ['', '2', '2*2']);
    expect(account).toMatch(/\nPlan: Subscribed until \d{1,2} \w{3}\n/);
    expect(offer).toMatch(/^CON Invalid choice\.\nMy account\n/); // no Subscribe for a subscribed phone
    await until(() => (sms?.sent().length ?? 0) === 1, 5_000);
    expect(sms.sent()[0]).toMatchObject({
      to: PHONE,
      message: expect.stringMatching(/^Ask: payment of KES 20 received\. Unlimited questions until /),
    });
  }, 60_000);
});
