// The AT SMS driver against the fake AT SMS server (test/helpers/fake-at-sms.ts): the form and the
// apiKey it sends, and what each of AT's answers means: sent, retry (it surely did not go),
// failed (never will), unknown (it may have gone: not tried again).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createAtSmsSender } from '../../src/sms/africastalking.ts';
import { type FakeAtSms, startFakeAtSms } from '../helpers/fake-at-sms.ts';
import { closedPort } from '../inference/support.ts';

let at: FakeAtSms;
beforeAll(async () => {
  at = await startFakeAtSms({ apiKey: 'atsk_right_key_0123', username: 'gateway' });
});
afterAll(async () => {
  await at.close();
});

const sender = (over: { apiKey?: string; baseUrl?: string } = {}) =>
  createAtSmsSender({
    username: 'gateway',
    apiKey: over.apiKey ?? 'atsk_right_key_0123',
    from: 'ASK',
    baseUrl: over.baseUrl ?? at.url,
  });

describe("Africa's Talking SMS driver", () => {
  it('posts the form with the apiKey header and reads the 201 recipient', async () => {
    const r = await sender().send({ to: '+254711000001', text: 'Hello from Ask.' });
    expect(r).toMatchObject({
      outcome: 'sent',
      statusCode: 101,
      status: 'Success',
      parts: 1,
      cost: 'KES 0.8000',
    });
    expect(r.messageId).toMatch(/^ATXid_[0-9a-f]{32}$/);
    expect(at.requests.at(-1)).toMatchObject({
      username: 'gateway',
      to: '+254711000001',
      message: 'Hello from Ask.',
      from: 'ASK',
    });
  });

  it.each([
    [402, 'retry'],
    [405, 'retry'],
    [500, 'retry'],
    [501, 'retry'],
    [502, 'retry'],
    [401, 'failed'],
    [403, 'failed'],
    [404, 'failed'],
    [406, 'failed'],
    [407, 'failed'],
    [102, 'sent'],
  ] as const)('recipient status %i → %s', async (statusCode, outcome) => {
    at.plan('+254711000002', { statusCode });
    const r = await sender().send({ to: '+254711000002', text: 'x' });
    expect(r.outcome).toBe(outcome);
    expect(r.statusCode).toBe(statusCode);
  });

  it('HTTP 5xx is a retry, a wrong apiKey a permanent failure', async () => {
    at.plan('+254711000003', { http: 503 });
    expect((await sender().send({ to: '+254711000003', text: 'x' })).outcome).toBe('retry');
    const r = await sender({ apiKey: 'atsk_wrong_key_0000' }).send({ to: '+254711000003', text: 'x' });
    expect(r).toMatchObject({ outcome: 'failed', statusCode: 401 });
  });

  it('a refused connection is a retry; a connection cut after the request is unknown', async () => {
    const refused = await sender({ baseUrl: `http://127.0.0.1:${await closedPort()}` }).send({
      to: '+1',
      text: 'x',
    });
    expect(refused.outcome).toBe('retry');
    at.plan('+254711000004', { cut: true });
    expect((await sender().send({ to: '+254711000004', text: 'x' })).outcome).toBe('unknown');
  });
});
