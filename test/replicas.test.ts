// Sessions across replicas behind a load balancer, through one real Redis: a first hop costs one
// command (a read), a menu hop of a session this replica served last one (advance, a
// compare-and-set over the state it left), and whatever happened in between (another replica's
// hop, a resend, a running answer) sends the hop the full way (begin, commit), so no step is ever
// lost or done twice (issue 7).
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadJourney } from '../src/engine/load.ts';
import type { StoredSession } from '../src/engine/types.ts';
import { createHopHandler } from '../src/hop/handler.ts';
import type { Answerer } from '../src/inference/types.ts';
import { createSqliteLog } from '../src/log/sqlite.ts';
import { silentLogger } from '../src/logger.ts';
import { hashPhone } from '../src/phone.ts';
import { createSqliteRecords } from '../src/records/sqlite.ts';
import { createRedisClient, createRedisSessionStore, type Redis } from '../src/session/redis.ts';
import { createSqliteThread } from '../src/sqlite/thread.ts';
import { watchCommands } from './session/redis-helpers.ts';
import { buildTestApp, expectPhoneValid, REDIS_URL, sessionId, type TestApp } from './support/build-app.ts';

const MAIN = 'CON Welcome to Ask\n1. Ask a question\n2. My account\n3. Help\n4. About';
const ACCOUNT =
  'CON My account\nLeft today: 5\nPlan: Free\nLanguage: English\n1. Change language\n2. Subscribe\n0. Back';
const LANGUAGE = 'CON Choose language\n1. English\n2. Kiswahili\n0. Back';
const SAVED_SW = 'CON Lugha imehifadhiwa: Kiswahili.\n1. Menyu kuu';

const prefix = `test:replicas:${randomBytes(6).toString('hex')}:`;
let clientA: Redis;
let a: TestApp;
let b: TestApp;
beforeAll(async () => {
  clientA = createRedisClient(REDIS_URL, 500);
  const store = (client: Redis) =>
    createRedisSessionStore<StoredSession>(client, { prefix, sessionTtlSeconds: 300 });
  a = await buildTestApp({}, { store: store(clientA) });
  b = await buildTestApp({}, { store: store(createRedisClient(REDIS_URL, 500)) });
});
afterAll(async () => {
  await a.close();
  await b.close();
});

/** One session's hops, each sent to the replica given: AT's cumulative text per hop. */
function dialer(phoneNumber: string, id = sessionId()) {
  return async (app: TestApp, text: string) =>
    expectPhoneValid(await app.hop({ sessionId: id, text, phoneNumber }));
}

describe('one replica', () => {
  it('a first hop and a menu hop of a session it served last are one command to Redis; a hop with effects is two', async () => {
    const watch = await watchCommands(clientA, REDIS_URL);
    try {
      let dial = dialer('+254744000001');
      const commands = async (text: string, expected: string) => {
        const sent = await watch.commandsOf(async () => expect(await dial(a, text)).toBe(expected));
        return sent.map((args) => args[0]?.toLowerCase());
      };
      // A phone not seen before: its profile is read from the records store and cached (a second
      // command); from then on a first hop is a read alone, and the start screen is stored by the next.
      expect(await commands('', MAIN)).toHaveLength(2);
      dial = dialer('+254744000001');
      expect(await commands('', MAIN)).toHaveLength(1);
      expect(await commands('2', ACCOUNT)).toHaveLength(1); // advance (EVAL the first time, EVALSHA after)
      expect(await commands('2*1', LANGUAGE)).toEqual(['evalsha']);
      expect(await commands('2*1*2', SAVED_SW)).toHaveLength(2); // the language is an effect: full way
    } finally {
      watch.stop();
    }
  });

  it('answers a resent hop with the same screen, once, logged as a replay', async () => {
    const id = sessionId();
    const dial = dialer('+254744000002', id);
    expect(await dial(a, '')).toBe(MAIN);
    expect(await dial(a, '2')).toBe(ACCOUNT);
    expect(await dial(a, '2')).toBe(ACCOUNT);
    expect(await dial(a, '2*1')).toBe(LANGUAGE);
    const hops = (await a.rows('hops')).filter((r) => r['session_id'] === id);
    expect(hops.map((r) => [r['text'], r['outcome']])).toEqual([
      ['', 'ok'],
      ['2', 'ok'],
      ['2', 'replay'],
      ['2*1', 'ok'],
    ]);
  });
});

describe('two replicas sharing one Redis', () => {
  it('hops that alternate between replicas never lose or repeat a step', async () => {
    const dial = dialer('+254744000003');
    expect(await dial(a, '')).toBe(MAIN);
    expect(await dial(b, '2')).toBe(ACCOUNT); // b never saw the session: the full way
    // a remembers the state after '' but b moved it on: a's compare-and-set fails, a reads it anew.
    expect(await dial(a, '2*1')).toBe(LANGUAGE);
    expect(await dial(a, '2*1*0')).toBe(ACCOUNT); // back, from a state a wrote itself
    expect(await dial(b, '2*1*0*1')).toBe(LANGUAGE); // b's memory is stale too
    expect(await dial(b, '2*1*0*1*2')).toBe(SAVED_SW);
    expect(await dial(a, '2*1*0*1*2*1')).toBe(
      'CON Karibu Ask\n1. Uliza swali\n2. Akaunti yangu\n3. Msaada\n4. Kuhusu',
    );
  });
});

describe('rate limits on the one-command way', () => {
  it('a phone past HOP_RATE_PER_MINUTE is ended politely on remembered sessions too', async () => {
    const limited = await buildTestApp({ hopRatePerMinute: 3 });
    try {
      const dial = dialer('+254744000004');
      expect(await dial(limited, '')).toBe(MAIN);
      expect(await dial(limited, '2')).toBe(ACCOUNT);
      expect(await dial(limited, '2*1')).toBe(LANGUAGE);
      expect(await dial(limited, '2*1*0')).toBe(
        'END Too many requests. Please wait a minute and dial again.',
      );
    } finally {
      await limited.close();
    }
  });
});

describe('the hop rate counts each hop once, whichever way it takes', () => {
  it.each([
    ['a journey that opens on a menu (first hop: a read)', 'menus', ['', '2', '2*1']],
    [
      'a journey that opens on the question screen (first hop: lease and commit)',
      'test/fixtures/menus/ask-first',
      [''],
    ],
  ])('%s', async (_name, menus, texts) => {
    const dir = mkdtempSync(join(tmpdir(), 'ussd-replicas-'));
    const logger = silentLogger();
    const store = createRedisSessionStore<StoredSession>(createRedisClient(REDIS_URL, 500), {
      prefix: `test:rate:${randomBytes(6).toString('hex')}:`,
      sessionTtlSeconds: 300,
    });
    const path = join(dir, 'log.db');
    const sqlite = createSqliteThread({ path, logger });
    const log = createSqliteLog({ path, thread: sqlite, flushMs: 20, retentionDays: 0, logger });
    const records = createSqliteRecords({ path, thread: sqlite, logger });
    try {
      const handleHop = createHopHandler({
        journey: loadJourney(menus, { dailyQuota: 5, price: 'KES 20', days: 30 }),
        store,
        answerer: {} as Answerer, // nothing here asks
        records,
        log,
        logger,
        settings: {
          hopDeadlineMs: 2000,
          phoneHashSecret: 'test-secret-0123456789',
          defaultCountry: 'KE',
          storePhoneNumbers: false,
          dailyQuota: 5,
          price: 'KES 20',
          days: 30,
          tzOffsetMinutes: 0,
          hopRatePerMinute: 0,
          questionRatePerMinute: 0,
          payments: 'intent',
        },
      });
      const id = sessionId();
      const now = Date.now();
      for (const text of texts) {
        const hop = { sessionId: id, serviceCode: '*384*123#', phoneNumber: '+254744000009', text };
        expect((await handleHop(hop, now, logger)).reply.kind).toBe('CON');
      }
      // A look at the phone's counters counts as one more hop of the minute.
      const { hopsThisMinute } = await store.peek({
        sessionId: 'another',
        phoneKey: hashPhone('+254744000009', 'test-secret-0123456789'),
        day: '2026-01-01',
        minute: Math.floor(now / 60_000),
      });
      expect(hopsThisMinute).toBe(texts.length + 1);
    } finally {
      await log.close();
      await records.close();
      await sqlite.close();
      await store.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
