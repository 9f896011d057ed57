// The InteractionLog contract (src/log/types.ts), one suite run against every driver: SQLite
// (log/sqlite.test.ts, real files in temp dirs) and PostgreSQL (log/postgres.test.ts, the real
// server, a fresh schema per test). What record* queues is written by flush() with the right
// values; the sessions row is upserted by hops and by AT's end-of-session notifications (known,
// unknown, duplicated); questions, deliveries, SMS and their reports keep their one-row rules;
// refused rows are skipped; old rows are purged. The SQL that reads the rows back reads the same
// in both dialects.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { QueuedLog, QueuedLogOptions } from '../../src/log/queued.ts';
import type { HopRow } from '../../src/log/types.ts';
import { feedback, hop, question, sessionEnd, T0, tier } from './fixtures.ts';

const DAY = 86_400_000;

export type LogOptions = Partial<Omit<QueuedLogOptions, 'sink' | 'logger'>>;

export interface LogHarness {
  /** A log over this test's database: flushed only when asked, no retention, unless `over` says. */
  open(over?: LogOptions): QueuedLog;
  /** Rows read back from the database. */
  rows(sql: string): Promise<Record<string, unknown>[]>;
  /** Closes every log opened and removes the database. */
  cleanup(): Promise<void>;
}

export function describeLogContract(name: string, makeHarness: () => Promise<LogHarness>): void {
  describe(`InteractionLog contract: ${name}`, () => {
    let harness: LogHarness;
    const open = (over?: LogOptions) => harness.open(over);
    const rows = (sql: string) => harness.rows(sql);
    beforeEach(async () => {
      harness = await makeHarness();
    });
    afterEach(async () => {
      await harness.cleanup();
    });

    it('writes what was queued, each kind with its values, on flush', async () => {
      const l = open();
      await l.flush();
      l.recordHop(hop({ input: '1', text: '1' }));
      l.recordQuestion(question({ passages: ['a#1', 'b#2'], queueMs: 40 }));
      l.recordFeedback(feedback());
      l.recordTier(tier({ mode: 'mpesa', via: 'menu', paymentId: 'pay-1', amount: 20 }));
      expect(l.status()).toMatchObject({ ok: true, queued: 4, written: 0 });
      expect(await rows('SELECT * FROM hops')).toEqual([]);
      await l.flush();
      expect(l.status()).toMatchObject({ ok: true, queued: 0, written: 4, failures: 0, dropped: 0 });
      expect(
        await rows(
          'SELECT at, session_id, phone_hash, input, text, screen, lang, reply_kind, reply, latency_ms, outcome FROM hops',
        ),
      ).toEqual([
        {
          ...{ at: T0, session_id: 'ATUid_s1', phone_hash: 'p1', input: '1', text: '1', screen: 'main' },
          ...{ lang: 'en', reply_kind: 'CON', reply: 'Welcome\n1. Ask', latency_ms: 12, outcome: 'ok' },
        },
      ]);
      expect(
        await rows(
          'SELECT id, tokens_in, ttft_ms, deadline_cut, cache_hit, passages, queue_ms FROM questions',
        ),
      ).toEqual([
        {
          id: 'q1',
          tokens_in: 40,
          ttft_ms: 300,
          deadline_cut: 0,
          cache_hit: 0,
          passages: '["a#1","b#2"]',
          queue_ms: 40,
        },
      ]);
      expect(await rows('SELECT question_id, helpful FROM feedback')).toEqual([
        { question_id: 'q1', helpful: 1 },
      ]);
      expect(await rows('SELECT event, mode, via, payment_id, amount FROM tier_events')).toEqual([
        { event: 'offer', mode: 'mpesa', via: 'menu', payment_id: 'pay-1', amount: 20 },
      ]);
    });

    it('keeps the first delivery of a question', async () => {
      const l = open();
      l.recordDelivery({ questionId: 'q1', at: T0, phoneHash: 'p1', how: 'sms', waitMs: 40_000 });
      l.recordDelivery({ questionId: 'q1', at: T0 + 1, phoneHash: 'p1', how: 'next-dial', waitMs: 90_000 });
      await l.flush();
      expect(await rows('SELECT question_id, how, wait_ms FROM deliveries')).toEqual([
        { question_id: 'q1', how: 'sms', wait_ms: 40_000 },
      ]);
    });

    it('makes one SMS row of a send and its delivery reports, in either order; a final status stays', async () => {
      const l = open();
      const send = (messageId: string | null) => ({
        ...{ at: T0, questionId: 'q1', phoneHash: 'p1', kind: 'answer' as const, status: 'sent' as const },
        ...{
          statusCode: 101,
          atStatus: 'Success',
          messageId,
          parts: 2,
          costRaw: 'KES 0.8000',
          attempts: 1,
          error: null,
        },
      });
      const report = (messageId: string, status: string) => ({
        at: T0 + 5,
        messageId,
        status,
        failureReason: '',
        networkCode: '63902',
      });
      l.recordSmsReport(report('m-late', 'Success'));
      await l.flush();
      l.recordSms(send('m-late'));
      l.recordSms(send('m-first'));
      l.recordSmsReport(report('m-first', 'Success'));
      l.recordSmsReport(report('m-first', 'Buffered'));
      l.recordSms(send(null));
      await l.flush();
      expect(
        await rows(
          "SELECT message_id, question_id, status, parts, cost_amount, cost_currency, report_status, reports FROM sms ORDER BY coalesce(message_id, 'zz')",
        ),
      ).toEqual([
        {
          message_id: 'm-first',
          question_id: 'q1',
          status: 'sent',
          parts: 2,
          cost_amount: 0.8,
          cost_currency: 'KES',
          report_status: 'Success',
          reports: 2,
        },
        {
          message_id: 'm-late',
          question_id: 'q1',
          status: 'sent',
          parts: 2,
          cost_amount: 0.8,
          cost_currency: 'KES',
          report_status: 'Success',
          reports: 1,
        },
        {
          message_id: null,
          question_id: 'q1',
          status: 'sent',
          parts: 2,
          cost_amount: 0.8,
          cost_currency: 'KES',
          report_status: null,
          reports: 0,
        },
      ]);
    });

    it('upserts one sessions row from the hops of a session', async () => {
      const l = open();
      l.recordHop(hop({ at: T0, screen: 'main', phone: '+254711000001' }));
      l.recordHop(hop({ at: T0 + 5_000, input: '1', text: '1', screen: 'ask', latencyMs: 12.6 }));
      l.recordHop(
        hop({ at: T0 + 9_000, input: 'maize', text: '1*maize', screen: 'answer', replyKind: 'END' }),
      );
      l.recordHop(
        hop({ sessionId: 'ATUid_s2', phoneHash: 'p2', networkCode: undefined as unknown as string }),
      );
      await l.flush();
      expect(
        await rows(
          'SELECT session_id, first_at, last_at, phone_hash, phone, service_code, network_code, hops, last_screen, lang, status FROM sessions ORDER BY session_id',
        ),
      ).toEqual([
        {
          ...{
            session_id: 'ATUid_s1',
            first_at: T0,
            last_at: T0 + 9_000,
            phone_hash: 'p1',
            phone: '+254711000001',
          },
          ...{
            service_code: '*384*123#',
            network_code: '63902',
            hops: 3,
            last_screen: 'answer',
            lang: 'en',
            status: null,
          },
        },
        {
          ...{ session_id: 'ATUid_s2', first_at: T0, last_at: T0, phone_hash: 'p2', phone: null },
          ...{
            service_code: '*384*123#',
            network_code: null,
            hops: 1,
            last_screen: 'main',
            lang: 'en',
            status: null,
          },
        },
      ]);
      expect(await rows(`SELECT latency_ms FROM hops WHERE text = '1'`)).toEqual([{ latency_ms: 13 }]);
    });

    const END_COLUMNS =
      'session_id, first_at, last_at, hops, status, cost_raw, cost_amount, cost_currency, duration_ms, hops_count, input, last_app_response, error_message, end_date, ended_at, notifications, raw';
    it.each([
      {
        name: 'a known session, cost "KES 0.10"',
        hops: [hop({ at: T0 }), hop({ at: T0 + 9_000, screen: 'answer' })],
        ends: [sessionEnd({ costRaw: 'KES 0.10' })],
        expected: { first_at: T0, last_at: T0 + 60_000, hops: 2, cost_raw: 'KES 0.10', cost_amount: 0.1 },
        currency: 'KES',
        notifications: 1,
      },
      {
        name: 'an unknown session, cost "0.1": created, started duration before the notification',
        hops: [],
        ends: [sessionEnd({ costRaw: '0.1' })],
        expected: { first_at: T0, last_at: T0 + 60_000, hops: 0, cost_raw: '0.1', cost_amount: 0.1 },
        currency: null,
        notifications: 1,
      },
      {
        name: 'a duplicated notification: one row, the latest wins, counted twice',
        hops: [hop({ at: T0 })],
        ends: [
          sessionEnd({ costRaw: 'KES 0.05', status: 'Incomplete' }),
          sessionEnd({ costRaw: 'KES 0.10' }),
        ],
        expected: { first_at: T0, last_at: T0 + 60_000, hops: 1, cost_raw: 'KES 0.10', cost_amount: 0.1 },
        currency: 'KES',
        notifications: 2,
      },
      {
        name: 'a cost the caller parsed: kept as given',
        hops: [],
        ends: [sessionEnd({ costRaw: 'free', costAmount: 0, costCurrency: 'KES' })],
        expected: { first_at: T0, last_at: T0 + 60_000, hops: 0, cost_raw: 'free', cost_amount: 0 },
        currency: 'KES',
        notifications: 1,
      },
    ])(
      'upserts the end-of-session notification for $name',
      async ({ hops, ends, expected, currency, notifications }) => {
        const l = open();
        for (const h of hops) l.recordHop(h);
        for (const e of ends) l.recordSessionEnd(e);
        await l.flush();
        expect(await rows(`SELECT ${END_COLUMNS} FROM sessions`)).toEqual([
          {
            session_id: 'ATUid_s1',
            ...expected,
            ...{ status: 'Success', cost_currency: currency, duration_ms: 60_000, hops_count: 3 },
            ...{ input: '1*how do i plant maize', last_app_response: 'END Thank you', error_message: '' },
            ...{
              end_date: '2026-01-10 12:01:00',
              ended_at: T0 + 60_000,
              notifications,
              raw: '{"sessionId":"ATUid_s1"}',
            },
          },
        ]);
      },
    );

    it('replaces a question recorded twice under one id instead of doubling it', async () => {
      const l = open();
      l.recordQuestion(question({ answer: 'partial', deadlineCut: true }));
      l.recordQuestion(question({ answer: 'whole', deadlineCut: false, cacheHit: true }));
      await l.flush();
      expect(await rows('SELECT id, answer, deadline_cut, cache_hit FROM questions')).toEqual([
        { id: 'q1', answer: 'whole', deadline_cut: 0, cache_hit: 1 },
      ]);
    });

    it('writes a long queue in several batches, in order', async () => {
      const l = open({ batchSize: 2 });
      for (let i = 0; i < 5; i++) l.recordHop(hop({ at: T0 + i, text: String(i) }));
      await l.flush();
      expect(await rows('SELECT text FROM hops ORDER BY at, text')).toEqual(
        ['0', '1', '2', '3', '4'].map((text) => ({ text })),
      );
      expect(l.status()).toMatchObject({ queued: 0, written: 5 });
    });

    it('skips a row the database refuses as data, writes the rest, and counts it', async () => {
      const l = open();
      l.recordHop(hop({ text: 'before' }));
      l.recordHop({ ...hop(), text: undefined } as unknown as HopRow);
      l.recordHop(hop({ at: T0 + 1, text: 'after' }));
      await l.flush();
      expect(await rows('SELECT text FROM hops ORDER BY at, text')).toEqual([
        { text: 'before' },
        { text: 'after' },
      ]);
      expect(await rows('SELECT hops FROM sessions')).toEqual([{ hops: 2 }]);
      expect(l.status()).toMatchObject({ ok: true, queued: 0, written: 2, rejected: 1 });
    });

    it('purges rows older than the retention period, at start and on demand', async () => {
      const old = T0 - 31 * DAY;
      const keep = open();
      keep.recordHop(hop({ at: old, sessionId: 'old' }));
      keep.recordQuestion(question({ at: old, id: 'q-old' }));
      keep.recordFeedback(feedback({ at: old }));
      keep.recordTier(tier({ at: old }));
      keep.recordHop(hop({ at: T0, sessionId: 'new' }));
      await keep.close();
      expect(await rows('SELECT count(*) AS n FROM hops')).toEqual([{ n: 2 }]);

      // At start: the first tick purges before writing anything.
      const l = open({ retentionDays: 30, clock: () => T0 });
      await l.flush();
      expect(await rows('SELECT session_id FROM hops')).toEqual([{ session_id: 'new' }]);
      expect(await rows('SELECT session_id FROM sessions')).toEqual([{ session_id: 'new' }]);
      expect(await rows('SELECT count(*) AS n FROM questions')).toEqual([{ n: 0 }]);
      expect(await rows('SELECT count(*) AS n FROM feedback')).toEqual([{ n: 0 }]);
      expect(await rows('SELECT count(*) AS n FROM tier_events')).toEqual([{ n: 0 }]);

      // On demand, 31 days later: the remaining hop and its session go (2 rows).
      expect(await l.purge(T0 + 31 * DAY)).toBe(2);
    });

    it('purges a backlog a chunk per table per write, then not again for a day', async () => {
      const seed = open();
      for (let i = 0; i < 25; i++) seed.recordHop(hop({ at: T0 - 31 * DAY, sessionId: `old-${i}` }));
      await seed.close();
      let now = T0;
      const l = open({ retentionDays: 30, purgeChunk: 10, clock: () => now });
      const count = async (table: string) => (await rows(`SELECT count(*) AS n FROM ${table}`))[0];
      // The write at start and the one flushed: a chunk of 10 each, from hops and from sessions.
      await l.flush();
      expect(await count('hops')).toEqual({ n: 5 });
      expect(await count('sessions')).toEqual({ n: 5 });
      await l.flush();
      expect(await count('hops')).toEqual({ n: 0 });

      // The backlog is done: a row that is already old is left until the next day's purge.
      l.recordHop(hop({ at: now - 31 * DAY, sessionId: 'late' }));
      await l.flush();
      expect(await count('hops')).toEqual({ n: 1 });
      now += DAY;
      await l.flush();
      expect(await count('hops')).toEqual({ n: 0 });
    });

    it('keeps everything when retentionDays is 0', async () => {
      const l = open({ retentionDays: 0 });
      l.recordHop(hop({ at: 1 }));
      await l.flush();
      expect(await l.purge(T0 + 3650 * DAY)).toBe(0);
      expect(await rows('SELECT count(*) AS n FROM hops')).toEqual([{ n: 1 }]);
    });
  });
}
