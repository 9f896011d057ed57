// A hop writes a phone's language and subscription to the records store before the user is told
// (issue 14 item 1): the rows are there when the reply is, the session store only caches them,
// a lost cache entry is read back from the records store, and a record that cannot be written in
// time ends the hop with "please dial again", nothing saved, nothing cached. Real Redis, real
// SQLite; the write is held up for real by another connection holding the file's write lock.
import BetterSqlite3 from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hashPhone } from '../../src/phone.ts';
import { buildTestApp, expectPhoneValid, sessionId, type TestApp } from '../support/build-app.ts';

const SECRET = 'test-secret-0123456789'; // build-app's PHONE_HASH_SECRET
const DAY = 86_400_000;

let app: TestApp;
beforeAll(async () => {
  app = await buildTestApp();
});
afterAll(async () => {
  await app.close();
});

function rows<T>(sql: string, ...params: unknown[]): T[] {
  const db = new BetterSqlite3(app.dbPath, { readonly: true });
  try {
    return db.prepare(sql).all(...params) as T[];
  } finally {
    db.close();
  }
}

/** A session of `phoneNumber`: each call one hop, AT's cumulative text. */
function session(phoneNumber: string) {
  const id = sessionId();
  return async (text: string) => expectPhoneValid(await app.hop({ sessionId: id, text, phoneNumber }));
}

describe('records written by hops', () => {
  it('the language is in the records store when the reply says it is saved', async () => {
    const phone = '+254766000001';
    const dial = session(phone);
    for (const text of ['', '2', '2*1']) await dial(text);
    expect(await dial('2*1*2')).toMatch(/^CON Lugha imehifadhiwa: Kiswahili/);
    expect(rows('SELECT lang FROM phones WHERE phone_hash = ?', hashPhone(phone, SECRET))).toEqual([
      { lang: 'sw' },
    ]);
  });

  it('accepting the offer records one intent subscription, its end what the screen promised', async () => {
    const phone = '+254766000002';
    const dial = session(phone);
    const before = Date.now();
    for (const text of ['', '2', '2*2']) await dial(text);
    expect(await dial('2*2*1')).toMatch(/^END Thank you! Your subscription request is recorded/);
    const subs = rows<{ id: string; source: string; starts_at: number; ends_at: number }>(
      'SELECT id, source, starts_at, ends_at FROM subscriptions WHERE phone_hash = ?',
      hashPhone(phone, SECRET),
    );
    expect(subs).toHaveLength(1);
    expect(subs[0]).toMatchObject({ id: expect.stringMatching(/^intent:ATUid_/), source: 'intent' });
    expect(subs[0]!.ends_at - subs[0]!.starts_at).toBe(30 * DAY);
    expect(subs[0]!.starts_at).toBeGreaterThanOrEqual(before);
  });

  it('a profile the cache lost is read back from the records store', async () => {
    const phone = '+254766000003';
    const dial = session(phone);
    for (const text of ['', '2', '2*1', '2*1*2']) await dial(text);
    await app.store.cacheProfile(hashPhone(phone, SECRET), null);
    expect(await session(phone)('')).toBe(
      'CON Karibu Ask\n1. Uliza swali\n2. Akaunti yangu\n3. Msaada\n4. Kuhusu',
    );
  });

  it('a record that cannot be written in time: "please dial again", nothing saved or cached', async () => {
    const phone = '+254766000004';
    const dial = session(phone);
    for (const text of ['', '2', '2*1']) await dial(text);
    const locker = new BetterSqlite3(app.dbPath);
    locker.exec('BEGIN EXCLUSIVE');
    let reply: string;
    try {
      reply = await dial('2*1*2');
    } finally {
      locker.exec('COMMIT');
      locker.close();
    }
    expect(reply).toBe('END Sorry, something went wrong. Please dial again.');
    expect(rows('SELECT lang FROM phones WHERE phone_hash = ?', hashPhone(phone, SECRET))).toEqual([]);
    expect(await session(phone)('')).toMatch(/^CON Welcome to Ask/);
    const logged = (await app.rows('hops')).filter((r) => r['text'] === '2*1*2');
    expect(logged.map((r) => [r['screen'], r['outcome']])).toContainEqual(['@unsaved', 'error']);
  });
});
