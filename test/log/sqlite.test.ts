// The SQLite interaction log on a healthy file: the log's contract (log-contract.ts) on real files
// in temp dirs, and what is SQLite's own: the timer, the queue's cap in bytes, close.
import { join } from 'node:path';
import BetterSqlite3 from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { rowBytes } from '../../src/log/queue.ts';
import { createSqliteLog, type SqliteLog } from '../../src/log/sqlite.ts';
import { silentLogger } from '../../src/logger.ts';
import { feedback, hop, question, sessionEnd, T0, tempDir, tier, until, useLogFile } from './fixtures.ts';
import { describeLogContract } from './log-contract.ts';

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

describeLogContract('sqlite', async () => {
  const dir = tempDir();
  const path = join(dir.dir, 'log.db');
  const opened: SqliteLog[] = [];
  return {
    open(over = {}) {
      const l = createSqliteLog({ path, flushMs: 60_000, retentionDays: 0, logger: silentLogger(), ...over });
      opened.push(l);
      return l;
    },
    async rows(sql) {
      const db = new BetterSqlite3(path, { readonly: true });
      try {
        return db.prepare(sql).all() as Record<string, unknown>[];
      } finally {
        db.close();
      }
    },
    async cleanup() {
      for (const l of opened) await l.close();
      dir.cleanup();
    },
  };
});

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

  it('drops (and counts) rows recorded after close, without throwing', async () => {
    const l = open();
    await l.close();
    expect(() => l.recordHop(hop())).not.toThrow();
    expect(l.status()).toMatchObject({ queued: 0, dropped: 1 });
  });
});
