// Getting answers to people (issue 13 §3-§5), hop by hop through the app: an answer that cannot
// come in the session is promised by SMS (SMS on) or for the next dial (SMS off), which offers it
// first; an asker who hangs up gets it by SMS; a paged answer's last page sends it all by SMS; each
// delivery is logged once; AT's delivery reports are stored against their message, behind the
// callbacks' protection. Real parts: the real Redis, a SQLite file, the fake Ollama and fake AT.
import { randomBytes } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createApp } from '../../src/app.ts';
import { loadConfig } from '../../src/config.ts';
import { createDeliveries, type Deliveries } from '../../src/delivery/delivery.ts';
import { createSmsOutbox } from '../../src/delivery/outbox.ts';
import { loadJourney } from '../../src/engine/load.ts';
import type { StoredSession } from '../../src/engine/types.ts';
import { createAnswerer } from '../../src/inference/answerer.ts';
import { createFaq } from '../../src/inference/faq.ts';
import { createOllamaModel } from '../../src/inference/ollama.ts';
import { createSqliteLog } from '../../src/log/sqlite.ts';
import { silentLogger } from '../../src/logger.ts';
import { createPhoneKeys } from '../../src/phone.ts';
import { createMemoryQueue } from '../../src/queue/memory.ts';
import { createMemoryClaims } from '../../src/queue/memory-slots.ts';
import { createSqliteRecords } from '../../src/records/sqlite.ts';
import { createRedisClient, createRedisSessionStore } from '../../src/session/redis.ts';
import { appSettings } from '../../src/settings.ts';
import { createAtSmsSender } from '../../src/sms/africastalking.ts';
import { composeSms } from '../../src/sms/text.ts';
import { createSqliteThread } from '../../src/sqlite/thread.ts';
import { type FakeAtSms, startFakeAtSms } from '../helpers/fake-at-sms.ts';
import { type FakeOllama, startFakeOllama } from '../helpers/fake-ollama.ts';

import { expectPhoneValid, REDIS_URL, sessionId } from '../support/build-app.ts';

/** Resolves once `check` holds (it may be async), polling; fails after `ms`. */
async function until(check: () => boolean | Promise<boolean>, ms: number, what: string): Promise<void> {
  const end = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

const LONG = Array.from(
  { length: 8 },
  (_, i) => `Point ${i + 1}: sleep under a treated net every night.`,
).join(' ');
const SECRET = 'callback-secret-0123456789';

let ollama: FakeOllama;
let at: FakeAtSms;
beforeAll(async () => {
  ollama = await startFakeOllama({ answer: 'Malaria is spread by mosquitoes.', tokenMs: 5 });
  at = await startFakeAtSms();
});
afterAll(async () => {
  await ollama.close();
  await at.close();
});
const closers: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of closers.splice(0)) await c();
});

/** The app with SMS on or off; `priorAnswerMs` sets how long answers are thought to take. */
function gateway(opts: { sms: boolean; priorAnswerMs?: number; answerTimeoutMs?: number }) {
  const logger = silentLogger();
  const config = loadConfig({ HOP_DEADLINE_MS: '1500', HOP_RATE_PER_MINUTE: '0', CALLBACK_SECRET: SECRET });
  const store = createRedisSessionStore<StoredSession>(createRedisClient(REDIS_URL, 500), {
    prefix: `test:deliver:${randomBytes(6).toString('hex')}:`,
    sessionTtlSeconds: 300,
  });
  const dbPath = join(mkdtempSync(join(tmpdir(), 'ussd-deliver-')), 'ussd.db');
  const sqlite = createSqliteThread({ path: dbPath, logger });
  const log = createSqliteLog({ path: dbPath, thread: sqlite, flushMs: 20, retentionDays: 0, logger });
  const records = createSqliteRecords({ path: dbPath, thread: sqlite, logger });
  const journey = loadJourney('menus', { dailyQuota: 5, price: 'KES 20', days: 30 });
  let deliveries: Deliveries | undefined;
  const outbox = opts.sms
    ? createSmsOutbox({
        sender: createAtSmsSender({ username: at.username, apiKey: at.apiKey, baseUrl: at.url }),
        queue: createMemoryQueue('sms'),
        claims: createMemoryClaims(),
        log,
        logger,
        compose: (r) =>
          composeSms(journey.texts.smsAnswer.en ?? '', { question: r.question, answer: r.answer.text }, 3),
        deliveries: () => deliveries as Deliveries,
        storePhoneNumbers: false,
      })
    : null;
  outbox?.start();
  deliveries = createDeliveries({ store, log, logger, sms: outbox ? (r) => outbox.request(r) : null });
  const answerer = createAnswerer({
    model: createOllamaModel({ host: ollama.url, model: 'llama3.2:3b', numCtx: 2048 }),
    cache: store,
    log,
    faq: createFaq([]),
    logger,
    onAnswered: (job, _p, pending) => (deliveries as Deliveries).answered(pending, job.phoneHash, job.phone),
    options: {
      maxConcurrent: 2,
      numPredict: 150,
      cacheTtlSeconds: 0,
      answerTimeoutMs: opts.answerTimeoutMs ?? 5000,
      smsOn: opts.sms,
      ...(opts.priorAnswerMs ? { priorAnswerMs: opts.priorAnswerMs } : {}),
    },
  });
  const app = createApp({
    journey,
    store,
    answerer,
    records,
    log,
    logger,
    deliveries,
    settings: { ...appSettings(config), smsOn: opts.sms },
  });
  closers.push(async () => {
    await answerer.close();
    await outbox?.close();
    await log.close();
    await records.close();
    await sqlite.close();
    await store.close();
  });
  const phone = `+2547550${String(Math.floor(Math.random() * 99999)).padStart(5, '0')}`;
  const dial =
    (id = sessionId()) =>
    async (text: string) => {
      const body = new URLSearchParams({ sessionId: id, serviceCode: '*384*123#', phoneNumber: phone, text });
      return expectPhoneValid(await app.request(`/ussd/${SECRET}`, { method: 'POST', body }));
    };
  const rows = async (sql: string) => {
    await log.flush();
    const db = new Database(dbPath, { readonly: true });
    try {
      return db.prepare(sql).all() as Record<string, unknown>[];
    } finally {
      db.close();
    }
  };
  const post = (path: string, fields: Record<string, string>) =>
    app.request(path, { method: 'POST', body: new URLSearchParams(fields) });
  const { phoneHashSecret, defaultCountry } = appSettings(config);
  const key = createPhoneKeys({ secret: phoneHashSecret, defaultCountry })(phone);
  /** The phone's pending answer as the store holds it now. */
  const pending = () => store.getPending(key?.hash ?? '');
  return { app, dial, phone, rows, post, pending, store };
}

// Answers are thought to take 200 s (as if measured) and the first token comes after the hop's
// 1.5 s deadline: the hop tells where the answer will be.
const slow = async (work: () => Promise<void>) => {
  ollama.set({ firstTokenMs: 1800 });
  try {
    await work();
  } finally {
    ollama.set({ firstTokenMs: 0 });
  }
};

describe('answers that miss their session', () => {
  it('SMS on: "will come by SMS in about N minutes", then one SMS, logged as delivered by SMS', () =>
    slow(async () => {
      const g = gateway({ sms: true, priorAnswerMs: 200_000 });
      const dial = g.dial();
      await dial('');
      await dial('1');
      expect(await dial('1*how is malaria spread')).toBe('END Your answer will come by SMS in about 4 min.');
      await until(() => at.sent().some((m) => m.to === g.phone), 5000, 'the SMS');
      expect(at.sent().filter((m) => m.to === g.phone)).toEqual([
        expect.objectContaining({
          message: 'Question: how is malaria spread\nAnswer: Malaria is spread by mosquitoes.',
        }),
      ]);
      await until(
        async () => (await g.rows('SELECT * FROM deliveries')).length === 1,
        3000,
        'the delivery row',
      );
      expect(await g.rows('SELECT how FROM deliveries')).toEqual([{ how: 'sms' }]);
      expect(await g.rows('SELECT status, parts, cost_amount, cost_currency FROM sms')).toEqual([
        { status: 'sent', parts: 1, cost_amount: 0.8, cost_currency: 'KES' },
      ]);
    }));

  it('SMS off: "dial again in about N minutes", and the next dial offers the answer first, once', () =>
    slow(async () => {
      const g = gateway({ sms: false, priorAnswerMs: 200_000 });
      const first = g.dial();
      await first('');
      await first('1');
      expect(await first('1*how is malaria spread')).toBe(
        'END To read your answer, dial again in about 4 min.',
      );
      // The answer is written meanwhile (waited for, not slept on: a loaded machine is slower).
      await until(async () => (await g.pending())?.answer?.done === true, 10_000, 'the answer');
      const again = g.dial();
      expect(await again('')).toBe('CON You have an answer to: how is malaria spread\n1. Read\n2. Main menu');
      expect(await again('1')).toBe(
        'CON Malaria is spread by mosquitoes.\n1. Helpful\n2. Not helpful\n0. Back',
      );
      expect(await again('1*1')).toMatch(/^CON Welcome to Ask/); // rated: back to the main menu
      expect(await g.dial()('')).toMatch(/^CON Welcome to Ask/); // read: not offered again
      expect(await g.rows('SELECT how FROM deliveries')).toEqual([{ how: 'next-dial' }]);
    }));

  it('a second question waits behind the first and is answered after it, in its session; a third is refused; the first, unread, is offered at the next dial', async () => {
    // The first is held for three ask hops (1.5 s each): longer than the default answer limit.
    const g = gateway({ sms: false, answerTimeoutMs: 20_000 });
    const ask = async (question: string) => {
      const dial = g.dial();
      await dial('');
      await dial('1');
      return { dial, screen: await dial(`1*${question}`) };
    };
    const seen = ollama.generations().length; // the fake is shared with the tests before
    const asked = () =>
      ollama
        .generations()
        .slice(seen)
        .map((r) => (r.body as { messages: { content: string }[] }).messages.at(-1)?.content);
    const release = ollama.hold(); // nothing is answered until the three are asked
    let second: Awaited<ReturnType<typeof ask>>;
    try {
      expect((await ask('how is malaria spread')).screen).toBe(
        'CON Still working on your answer.\n1. Get answer\n0. Back',
      );
      second = await ask('and dengue');
      expect(second.screen).toBe(
        'CON Your question is next after your earlier one: how is malaria spread\nIts answer comes in about 1 min.\n1. Get answer\n0. Back',
      );
      expect((await ask('and cholera')).screen).toBe(
        'CON You already have 2 questions waiting, the last: and dengue\nIts answer comes in about 1 min.\n1. Try again\n0. Back',
      );
      expect(asked()).toEqual(['how is malaria spread']); // only the first went to the model
    } finally {
      release();
    }
    // "1. Get answer" on the second: its answer, once the first's is done.
    let text = '1*and dengue';
    let screen = second.screen;
    while (!screen.startsWith('CON Malaria')) {
      expect(screen).toMatch(/^CON (Your question is next|Still working)/);
      await new Promise((r) => setTimeout(r, 100));
      text += '*1';
      screen = await second.dial(text);
    }
    expect(screen).toBe('CON Malaria is spread by mosquitoes.\n1. Helpful\n2. Not helpful\n0. Back');
    expect(asked()).toEqual(['how is malaria spread', 'and dengue']);
    // The first was not read in its session: the next dial offers it.
    expect(await g.dial()('')).toBe(
      'CON You have an answer to: how is malaria spread\n1. Read\n2. Main menu',
    );
    expect(await g.rows('SELECT how FROM deliveries')).toEqual([{ how: 'in-session' }]);
  });

  it('an asker who hangs up while the answer is written gets it by SMS (AT end-of-session notification)', async () => {
    ollama.set({ firstTokenMs: 2500 });
    try {
      const g = gateway({ sms: true });
      const id = sessionId();
      const dial = g.dial(id);
      await dial('');
      await dial('1');
      expect(await dial('1*what about dengue')).toMatch(/^CON Still working on your answer/);
      const res = await g.post(`/ussd/${SECRET}/events`, {
        sessionId: id,
        phoneNumber: g.phone,
        status: 'Incomplete',
      });
      expect(res.status).toBe(200);
      // Recorded before the 200: a gateway killed right after it has not lost the hang-up.
      expect((await g.pending())?.hungUp).toBe(true);
      await until(() => at.sent().some((m) => m.to === g.phone), 8000, 'the SMS');
      expect(at.sent().filter((m) => m.to === g.phone)).toHaveLength(1);
    } finally {
      ollama.set({ firstTokenMs: 0 });
    }
  });

  it('an end-of-session notice whose hang-up cannot be recorded (Redis gone) is refused, for a retry', async () => {
    const g = gateway({ sms: true });
    await g.store.close();
    const res = await g.post(`/ussd/${SECRET}/events`, {
      sessionId: sessionId(),
      phoneNumber: g.phone,
      status: 'Incomplete',
    });
    expect(res.status).toBe(503);
    expect(await res.text()).toBe('Not recorded, try again\n');
  });

  it('"Send all by SMS" on the last page of a paged answer: the whole answer, once', async () => {
    ollama.set({ answer: LONG });
    try {
      const g = gateway({ sms: true });
      const dial = g.dial();
      await dial('');
      await dial('1');
      let text = '1*tell me about nets';
      let screen = await dial(text);
      while (/1\. More|Still working/.test(screen)) {
        text += '*1';
        screen = await dial(text);
      }
      expect(screen).toMatch(/\n1\. Helpful\n2\. Not helpful\n3\. Send all by SMS\n0\. Back$/);
      expect(await dial(`${text}*3`)).toBe('END The whole answer is on its way to you by SMS.');
      await until(() => at.sent().some((m) => m.to === g.phone), 5000, 'the SMS');
      const sms = at.sent().filter((m) => m.to === g.phone);
      expect(sms).toHaveLength(1);
      expect(sms[0]?.message).toContain('Point 8: sleep under a treated net every night.');
      expect(await g.rows('SELECT how FROM deliveries')).toEqual([{ how: 'in-session' }]);
    } finally {
      ollama.set({ answer: 'Malaria is spread by mosquitoes.' });
    }
  });
});

describe('SMS delivery reports (POST /sms/delivery)', () => {
  it('are stored against their message; a late interim status never replaces a final one', () =>
    slow(async () => {
      const g = gateway({ sms: true, priorAnswerMs: 200_000 });
      const dial = g.dial();
      await dial('');
      await dial('1');
      await dial('1*how is malaria spread');
      await until(() => at.sent().some((m) => m.to === g.phone), 5000, 'the SMS');
      const id = at.sent().find((m) => m.to === g.phone)?.messageId ?? '';
      const report = async (path: string, status: string, reason = '') =>
        (
          await g.post(path, {
            id,
            status,
            phoneNumber: g.phone,
            networkCode: '63902',
            failureReason: reason,
          })
        ).status;
      expect(await report('/sms/delivery', 'Success')).toBe(403); // no secret: refused
      expect(await report('/sms/wrong-secret-0000000000/delivery', 'Success')).toBe(403);
      expect(await report(`/sms/${SECRET}/delivery`, 'Success')).toBe(200);
      expect(await report(`/sms/delivery?secret=${SECRET}`, 'Success')).toBe(200); // resent
      expect(await report(`/sms/${SECRET}/delivery`, 'Buffered')).toBe(200); // late and interim
      expect((await g.post(`/sms/${SECRET}/delivery`, { status: 'Success' })).status).toBe(400);
      await until(
        async () => (await g.rows('SELECT reports FROM sms'))[0]?.['reports'] === 3,
        3000,
        'reports',
      );
      expect(await g.rows('SELECT message_id, status, report_status, reports FROM sms')).toEqual([
        { message_id: id, status: 'sent', report_status: 'Success', reports: 3 },
      ]);
    }));
});
