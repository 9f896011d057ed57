// The SMS outbox against the fake AT SMS server: retries with backoff on what surely did not go,
// permanent failures recorded and never retried, at most once per question whatever the retries,
// a second request, a crash mid-send or a second replica do; with the in-process queue and with
// BullMQ and claims on the real Redis.
import { randomBytes } from 'node:crypto';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { SmsRequest } from '../../src/delivery/delivery.ts';
import { createSmsOutbox } from '../../src/delivery/outbox.ts';
import type { SmsRow } from '../../src/log/types.ts';
import { silentLogger } from '../../src/logger.ts';
import { createBullQueue } from '../../src/queue/bullmq.ts';
import { createMemoryQueue } from '../../src/queue/memory.ts';
import { createMemoryClaims } from '../../src/queue/memory-slots.ts';
import { createRedisClaims } from '../../src/queue/redis-slots.ts';
import type { ClaimStore, JobQueue } from '../../src/queue/types.ts';
import { createRedisClient } from '../../src/session/redis.ts';
import { createAtSmsSender } from '../../src/sms/africastalking.ts';
import { type FakeAtSms, startFakeAtSms } from '../helpers/fake-at-sms.ts';
import { recordingLog, until } from '../inference/support.ts';
import { REDIS_URL } from '../support/build-app.ts';

let at: FakeAtSms;
beforeAll(async () => {
  at = await startFakeAtSms();
});
afterAll(async () => {
  await at.close();
});

type Q = JobQueue<SmsRequest, { outcome: string }>;
const closers: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of closers.splice(0)) await c();
});

function outbox(queue: Q, claims: ClaimStore) {
  const smsRows: SmsRow[] = [];
  const log = { ...recordingLog(), recordSms: (r: SmsRow) => smsRows.push(r) };
  const box = createSmsOutbox({
    sender: createAtSmsSender({ username: at.username, apiKey: at.apiKey, baseUrl: at.url }),
    queue,
    claims,
    log,
    logger: silentLogger(),
    compose: (r) => `Answer: ${r.answer.text}`,
    storePhoneNumbers: false,
    backoffMs: 50,
  });
  box.start();
  closers.push(() => box.close());
  return { box, smsRows };
}

let n = 0;
const request = (phone: string): SmsRequest => ({
  questionId: `q-${process.pid}-${Date.now()}-${++n}`,
  phoneHash: `h-${n}`,
  phone,
  question: 'what is malaria',
  answer: { id: 'x', text: 'Malaria is spread by mosquitoes.', done: true, source: 'model' },
  lang: 'en',
  kind: 'answer',
});
const sentTo = (phone: string) => at.requests.filter((r) => r.to === phone);

for (const [d, driver] of (['memory', 'redis'] as const).entries()) {
  describe(`SMS outbox (${driver})`, () => {
    const prefix = `test:outbox:${randomBytes(6).toString('hex')}:`;
    const make = () => {
      if (driver === 'memory')
        return {
          queue: createMemoryQueue<SmsRequest, { outcome: string }>('sms'),
          claims: createMemoryClaims(),
        };
      const redis = createRedisClient(REDIS_URL, 1000);
      closers.push(async () => void redis.disconnect());
      return {
        queue: createBullQueue<SmsRequest, { outcome: string }>('sms', {
          redis: REDIS_URL,
          keyPrefix: prefix,
          stalledCheckMs: 1000,
          lockMs: 2000,
        }),
        claims: createRedisClaims(redis, prefix),
      };
    };

    it('sends once, recording the message id, parts and cost', async () => {
      const { queue, claims } = make();
      const { box, smsRows } = outbox(queue, claims);
      const r = request(`+2547${d}0000001`);
      await box.request(r);
      await box.request(r); // a second request for the same question: ignored
      await until(() => smsRows.length === 1, 5000, 'the SMS row');
      await new Promise((res) => setTimeout(res, 300));
      expect(sentTo(r.phone)).toHaveLength(1);
      expect(smsRows[0]).toMatchObject({
        status: 'sent',
        statusCode: 101,
        parts: 1,
        costRaw: 'KES 0.8000',
        attempts: 1,
      });
      expect(smsRows[0]?.messageId).toBe(sentTo(r.phone)[0]?.messageId);
    });

    it('retries HTTP 5xx and retryable statuses with backoff, then sends once', async () => {
      const { queue, claims } = make();
      const { box, smsRows } = outbox(queue, claims);
      const r = request(`+2547${d}0000002`);
      at.plan(r.phone, { http: 500 }, { statusCode: 405 }, { statusCode: 502 });
      await box.request(r);
      await until(() => smsRows.length === 1, 10_000, 'the SMS row');
      expect(sentTo(r.phone).map((s) => s.statusCode)).toEqual([500, 405, 502, 101]);
      expect(smsRows[0]).toMatchObject({ status: 'sent', attempts: 4 });
    });

    it('records a permanent failure and never retries it', async () => {
      const { queue, claims } = make();
      const { box, smsRows } = outbox(queue, claims);
      const r = request(`+2547${d}0000003`);
      at.plan(r.phone, { statusCode: 403 });
      await box.request(r);
      await until(() => smsRows.length === 1, 5000, 'the SMS row');
      await new Promise((res) => setTimeout(res, 400));
      expect(sentTo(r.phone)).toHaveLength(1);
      expect(smsRows[0]).toMatchObject({ status: 'failed', statusCode: 403, atStatus: 'InvalidPhoneNumber' });
    });

    it('a send that may have gone (connection cut) is never sent again, by a second outbox either', async () => {
      const first = make();
      const { box, smsRows } = outbox(first.queue, first.claims);
      const r = request(`+2547${d}0000004`);
      at.plan(r.phone, { cut: true });
      await box.request(r);
      await until(() => smsRows.length === 1, 5000, 'the SMS row');
      expect(smsRows[0]).toMatchObject({ status: 'unknown' });
      // Another replica is asked for the same question's SMS later (its job id kept or not).
      const second = outbox(make().queue, first.claims);
      await second.box.request(r);
      await new Promise((res) => setTimeout(res, 600));
      expect(sentTo(r.phone)).toHaveLength(1);
    });
  });
}
