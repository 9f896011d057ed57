// The SQLite interaction log on a healthy file: what record* queues is written by flush() (or the
// timer) with the right values, the sessions row is upserted by hops and by AT's end-of-session
// notifications (known, unknown, duplicated), the queue is capped, and old rows are purged.
import BetterSqlite3 from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { rowBytes } from '../../src/log/queue.ts';
import type { HopRow } from '../../src/log/types.ts';
import { feedback, hop, question, sessionEnd, T0, tier, until, useLogFile } from './fixtures.ts';

const DAY = 86_400_000;
const file = useLogFile();
const open = file.open;

function rows(sql: string): unknown[] {
  const db = new BetterSqlite3(file.path, { readonly: true });
  try {
    return db.prepare(sql).all();
  } finally {
    db.close();
  }
}

describe('SQLite interaction log', () => {
  it('queues on record and writes nothing until the flush', async () => {
    const l = open();
    await l.flush(); // the worker has opened (and created) the file
    l.recordHop(hop());
    l.recordQuestion(question());
    l.recordFeedback(feedback());
    l.recordTier(tier());
    l.recordSessionEnd(sessionEnd());
    expect(l.status()).toMatchObject({ ok: true, queued: 5, written: 0, failures: 0 });
    expect(rows('SELECT * FROM hops')).toEqual([]);

    await l.flush();
    expect(l.status()).toMatchObject({ ok: true, queued: 0, written: 5, failures: 0, dropped: 0 });
    expect(
      rows(
        'SELECT at, session_id, phone_hash, input, text, screen, lang, reply_kind, reply, latency_ms, outcome FROM hops',
      ),
    ).toEqual([
      {
        ...{ at: T0, session_id: 'ATUid_s1', phone_hash: 'p1', input: null, text: '', screen: 'main' },
        ...{ lang: 'en', reply_kind: 'CON', reply: 'Welcome\n1. Ask', latency_ms: 12, outcome: 'ok' },
      },
    ]);
    expect(rows('SELECT * FROM questions')).toEqual([
      {
        ...{ id: 'q1', at: T0, session_id: 'ATUid_s1', phone_hash: 'p1', channel: 'ussd', lang: 'en' },
        ...{
          model: 'llama3.2:3b',
          question: 'How do I plant maize?',
          prompt: 'system\nHow do I plant maize?',
        },
        ...{ answer: 'Plant at the start of the rains.', tokens_in: 40, tokens_out: 20, ttft_ms: 300 },
        ...{ latency_ms: 1500, deadline_cut: 0, cache_hit: 0, source: 'model', outcome: 'ok' },
        passages: null, // not asked of a knowledge base (migration 5)
        queue_ms: null,
      },
    ]);
    expect(rows('SELECT at, session_id, phone_hash, question_id, helpful FROM feedback')).toEqual([
      { at: T0, session_id: 'ATUid_s1', phone_hash: 'p1', question_id: 'q1', helpful: 1 },
    ]);
    expect(rows('SELECT at, session_id, phone_hash, event, price, days FROM tier_events')).toEqual([
      { at: T0, session_id: 'ATUid_s1', phone_hash: 'p1', event: 'offer', price: 'KES 20', days: 30 },
    ]);
  });

  it('writes on its own timer, without a flush()', async () => {
    const l = open({ flushMs: 20 });
    l.recordHop(hop());
    await until(() => l.status().written === 1);
    expect(rows('SELECT count(*) AS n FROM hops')).toEqual([{ n: 1 }]);
  });

  it('after a quiet spell, a new row is written flushMs after it arrives, not at the idle tick', async () => {
    const l = open({ flushMs: 20 });
    l.recordHop(hop());
    await until(() => l.status().written === 1);
    await new Promise((r) => setTimeout(r, 100)); // nothing queued: the writer sleeps on its idle tick
    const recorded = performance.now();
    l.recordHop(hop({ at: T0 + 1 }));
    await until(() => l.status().written === 2);
    expect(performance.now() - recorded).toBeLessThan(500); // the idle tick is 1 s
  });

  it('upserts one sessions row from the hops of a session', async () => {
    const l = open();
    l.recordHop(hop({ at: T0, screen: 'main', phone: '+254711000001' }));
    l.recordHop(hop({ at: T0 + 5_000, input: '1', text: '1', screen: 'ask', latencyMs: 12.6 }));
    l.recordHop(hop({ at: T0 + 9_000, input: 'maize', text: '1*maize', screen: 'answer', replyKind: 'END' }));
    l.recordHop(hop({ sessionId: 'ATUid_s2', phoneHash: 'p2', networkCode: undefined as unknown as string }));
    await l.flush();
    expect(
      rows(
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
    expect(rows(`SELECT latency_ms FROM hops WHERE text = '1'`)).toEqual([{ latency_ms: 13 }]);
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
      ends: [sessionEnd({ costRaw: 'KES 0.05', status: 'Incomplete' }), sessionEnd({ costRaw: 'KES 0.10' })],
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
      expect(rows(`SELECT ${END_COLUMNS} FROM sessions`)).toEqual([
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
    expect(rows('SELECT id, answer, deadline_cut, cache_hit FROM questions')).toEqual([
      { id: 'q1', answer: 'whole', deadline_cut: 0, cache_hit: 1 },
    ]);
  });

  it('writes a long queue in several batches, in order', async () => {
    const l = open({ batchSize: 2 });
    for (let i = 0; i < 5; i++) l.recordHop(hop({ at: T0 + i, text: String(i) }));
    await l.flush();
    expect(rows('SELECT text FROM hops ORDER BY id')).toEqual(
      ['0', '1', '2', '3', '4'].map((text) => ({ text })),
    );
    expect(l.status()).toMatchObject({ queued: 0, written: 5 });
  });

  it('caps the queue in bytes: past it hop rows are shed (the newest), counted; questions never', async () => {
    const size = rowBytes({ kind: 'hop', row: hop({ text: '0' }) });
    const l = open({ maxQueueBytes: 3 * size });
    for (let i = 0; i < 5; i++) l.recordHop(hop({ at: T0 + i, text: String(i) }));
    expect(l.status()).toMatchObject({ queued: 3, dropped: 2, queuedBytes: 3 * size });
    // A question past the cap sheds hops to make room, and is kept even with none left to shed.
    for (let i = 0; i < 5; i++) l.recordQuestion(question({ id: `q${i}`, question: 'x'.repeat(size) }));
    expect(l.status()).toMatchObject({ queued: 5, dropped: 5 });
    await l.flush();
    expect(rows('SELECT count(*) AS n FROM hops')).toEqual([{ n: 0 }]);
    expect(rows('SELECT count(*) AS n FROM questions')).toEqual([{ n: 5 }]);
  });

  it('skips a row the database refuses as data, writes the rest, and counts it', async () => {
    const l = open();
    l.recordHop(hop({ text: 'before' }));
    l.recordHop({ ...hop(), text: undefined } as unknown as HopRow);
    l.recordHop(hop({ text: 'after' }));
    await l.flush();
    expect(rows('SELECT text FROM hops ORDER BY id')).toEqual([{ text: 'before' }, { text: 'after' }]);
    expect(rows('SELECT hops FROM sessions')).toEqual([{ hops: 2 }]);
    expect(l.status()).toMatchObject({ ok: true, queued: 0, written: 2, rejected: 1 });
  });

  it('drops (and counts) rows recorded after close, without throwing', async () => {
    const l = open();
    await l.close();
    expect(() => l.recordHop(hop())).not.toThrow();
    expect(l.status()).toMatchObject({ queued: 0, dropped: 1 });
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
    expect(rows('SELECT count(*) AS n FROM hops')).toEqual([{ n: 2 }]);

    // At start: the first tick purges before writing anything.
    const l = open({ retentionDays: 30, clock: () => T0 });
    await l.flush();
    expect(rows('SELECT session_id FROM hops')).toEqual([{ session_id: 'new' }]);
    expect(rows('SELECT session_id FROM sessions')).toEqual([{ session_id: 'new' }]);
    expect(rows('SELECT count(*) AS n FROM questions')).toEqual([{ n: 0 }]);
    expect(rows('SELECT count(*) AS n FROM feedback')).toEqual([{ n: 0 }]);
    expect(rows('SELECT count(*) AS n FROM tier_events')).toEqual([{ n: 0 }]);

    // On demand, 31 days later: the remaining hop and its session go (2 rows).
    expect(await l.purge(T0 + 31 * DAY)).toBe(2);
  });

  it('purges a backlog a chunk per table per write, then not again for a day', async () => {
    const seed = open();
    for (let i = 0; i < 25; i++) seed.recordHop(hop({ at: T0 - 31 * DAY, sessionId: `old-${i}` }));
    await seed.close();
    let now = T0;
    const l = open({ retentionDays: 30, purgeChunk: 10, clock: () => now });
    const count = (table: string) => rows(`SELECT count(*) AS n FROM ${table}`)[0];
    // The write at start and the one flushed: a chunk of 10 each, from hops and from sessions.
    await l.flush();
    expect(count('hops')).toEqual({ n: 5 });
    expect(count('sessions')).toEqual({ n: 5 });
    await l.flush();
    expect(count('hops')).toEqual({ n: 0 });

    // The backlog is done: a row that is already old is left until the next day's purge.
    l.recordHop(hop({ at: now - 31 * DAY, sessionId: 'late' }));
    await l.flush();
    expect(count('hops')).toEqual({ n: 1 });
    now += DAY;
    await l.flush();
    expect(count('hops')).toEqual({ n: 0 });
  });

  it('keeps everything when retentionDays is 0', async () => {
    const l = open({ retentionDays: 0 });
    l.recordHop(hop({ at: 1 }));
    await l.flush();
    expect(await l.purge(T0 + 3650 * DAY)).toBe(0);
    expect(rows('SELECT count(*) AS n FROM hops')).toEqual([{ n: 1 }]);
  });
});
