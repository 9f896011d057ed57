// A gateway with PAYMENTS_MODE=mpesa on a real loopback port, built as main.ts builds it (the
// config, setUpPayments, the records store and the log over one SQLite file through its worker
// thread, sessions in a real Redis under a fresh prefix), talking to the fake Daraja, which posts
// its callbacks to this gateway's MPESA_CALLBACK_URL. It can be stopped and started again on the
// same port, file and Redis prefix: a restart. Hops are posted over HTTP as AT posts them.
import { randomBytes } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import type { Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { serve } from '@hono/node-server';
import Database from 'better-sqlite3';
import { createApp } from '../../src/app.ts';
import { loadConfig } from '../../src/config.ts';
import { loadJourney } from '../../src/engine/load.ts';
import type { StoredSession } from '../../src/engine/types.ts';
import { createAnswerer } from '../../src/inference/answerer.ts';
import { createFaq } from '../../src/inference/faq.ts';
import { createOllamaModel } from '../../src/inference/ollama.ts';
import { createSqliteLog } from '../../src/log/sqlite.ts';
import { silentLogger } from '../../src/logger.ts';
import type { MpesaPayments } from '../../src/payments/checkout.ts';
import { type PaymentsSetupDeps, setUpPayments } from '../../src/payments/setup.ts';
import { hashPhone } from '../../src/phone.ts';
import { createSqliteRecords } from '../../src/records/sqlite.ts';
import type { RecordsStore } from '../../src/records/types.ts';
import { createRedisClient, createRedisSessionStore } from '../../src/session/redis.ts';
import type { SessionStore } from '../../src/session/types.ts';
import { answererOptions, appSettings, journeyFacts } from '../../src/settings.ts';
import { createSqliteThread } from '../../src/sqlite/thread.ts';
import { type FakeAtSms, startFakeAtSms } from '../helpers/fake-at-sms.ts';
import { DARAJA_CREDENTIALS, type FakeDaraja, startFakeDaraja } from '../helpers/fake-daraja.ts';
import { startFakeOllama } from '../helpers/fake-ollama.ts';
import { freePort } from '../helpers/gateway-process.ts';
import { REDIS_URL } from '../support/build-app.ts';

export const PHONE = '+254711000001';
export const SECRET = 'cb-secret-0123456789abcdef';

export interface PayGateway {
  daraja: FakeDaraja;
  /** The fake AT SMS API, with `sms: true`. */
  sms: FakeAtSms | null;
  port: number;
  dbPath: string;
  /** A second gateway on the same file, Redis and Daraja (another replica), on its own port. */
  twin(): Promise<{ mpesa: MpesaPayments }>;
  callbackUrl: string;
  /** The running instance's payments and records store (they change with a restart). */
  mpesa(): MpesaPayments;
  records(): RecordsStore;
  /** The running instance's session store (to put a stale cached profile in, as a failover would). */
  store(): SessionStore<StoredSession>;
  /** Dials and presses `keys`, one hop each; every reply as sent (`CON …`/`END …`). */
  dial(keys?: string[], phone?: string): Promise<string[]>;
  /** One hop as AT posts it: a session's cumulative `text` (a resend, a walked hop, two at once). */
  hop(sessionId: string, text: string, phone?: string): Promise<string>;
  /** Rows of a table of the SQLite file (the log flushed first). */
  rows(table: string): Promise<Record<string, unknown>[]>;
  hash(phone?: string): string;
  /** Stops this instance (as SIGTERM does), and starts a new one on the same port, file and Redis. */
  stop(): Promise<void>;
  start(): Promise<void>;
  close(): Promise<void>;
}

export interface PayGatewayOptions {
  /** Sessions' Redis (default the shared one, under a fresh prefix). */
  redisUrl?: string;
  tuning?: PaymentsSetupDeps['tuning'];
  /** More variables for loadConfig (e.g. MPESA_ALLOWED_IPS). */
  env?: Record<string, string>;
  /** Daraja's client's knobs (e.g. a short `timeoutMs`). */
  client?: PaymentsSetupDeps['client'];
  /** SMS configured: AT's SMS API is the fake on loopback (receipts go there). */
  sms?: boolean;
}

export async function startPayGateway(options: PayGatewayOptions = {}): Promise<PayGateway> {
  const daraja = await startFakeDaraja();
  const sms = options.sms ? await startFakeAtSms() : null;
  const ollama = await startFakeOllama();
  const port = await freePort();
  const callbackUrl = `http://127.0.0.1:${port}/mpesa/callback/${SECRET}`;
  const dbPath = join(mkdtempSync(join(tmpdir(), 'ussd-pay-')), 'ussd.db');
  const prefix = `test:pay:${randomBytes(6).toString('hex')}:`;
  const config = loadConfig({
    REDIS_URL: options.redisUrl ?? REDIS_URL,
    HOP_DEADLINE_MS: '3000',
    PHONE_HASH_SECRET: 'test-secret-0123456789',
    HOP_RATE_PER_MINUTE: '0',
    QUESTION_RATE_PER_MINUTE: '0',
    ANSWER_CACHE_TTL_SECONDS: '0',
    PAYMENTS_MODE: 'mpesa',
    MPESA_CONSUMER_KEY: DARAJA_CREDENTIALS.consumerKey,
    MPESA_CONSUMER_SECRET: DARAJA_CREDENTIALS.consumerSecret,
    MPESA_SHORTCODE: DARAJA_CREDENTIALS.shortcode,
    MPESA_PASSKEY: DARAJA_CREDENTIALS.passkey,
    MPESA_CALLBACK_URL: callbackUrl,
    MPESA_API_URL: daraja.url,
    ...(sms ? { AT_USERNAME: sms.username, AT_API_KEY: sms.apiKey, AT_API_URL: sms.url } : {}),
    ...options.env,
  });
  const logger = silentLogger();
  const journey = loadJourney('menus', journeyFacts(config));
  let running: Awaited<ReturnType<typeof build>> | null = null;
  const twins: Awaited<ReturnType<typeof build>>[] = [];

  async function build(on = port) {
    const store = createRedisSessionStore<StoredSession>(
      createRedisClient(config.REDIS_URL ?? REDIS_URL, config.REDIS_COMMAND_TIMEOUT_MS),
      { prefix, sessionTtlSeconds: 300 },
    );
    const sqlite = createSqliteThread({ path: dbPath, logger });
    const log = createSqliteLog({ path: dbPath, thread: sqlite, flushMs: 20, retentionDays: 0, logger });
    const records = createSqliteRecords({ path: dbPath, thread: sqlite, logger });
    const settings = appSettings(config);
    const model = createOllamaModel({ host: ollama.url, model: 'llama3.2:3b', numCtx: 2048 });
    const answerer = createAnswerer({
      ...{ model, cache: store, log, faq: createFaq([]), logger },
      options: answererOptions(config),
    });
    const { payments, mpesa, mounts } = setUpPayments(config, {
      ...{ journey, records, log, store, logger },
      hashPhone: (phone) => hashPhone(phone, settings.phoneHashSecret),
      // Pushes soon after the reply, the sweep run by the tests, queries after 200 ms.
      tuning: { pushDelayMs: 50, sweepEveryMs: 3_600_000, queryAfterMs: 200, ...options.tuning },
      ...(options.client ? { client: options.client } : {}),
    });
    const app = createApp({ journey, store, answerer, records, payments, log, logger, settings, mounts });
    const server = await new Promise<Server>((resolve) => {
      const s = serve({ fetch: app.fetch, port: on, hostname: '127.0.0.1' }, () => resolve(s as Server));
    });
    return { store, sqlite, log, records, answerer, mpesa: mpesa as MpesaPayments, server };
  }

  const current = () => {
    if (!running) throw new Error('the gateway is stopped');
    return running;
  };

  async function hop(sessionId: string, text: string, phone: string): Promise<string> {
    const body = new URLSearchParams({
      sessionId,
      serviceCode: '*384*123#',
      phoneNumber: phone,
      networkCode: '63902',
      text,
    });
    const res = await fetch(`http://127.0.0.1:${port}/ussd`, { method: 'POST', body });
    return res.text();
  }

  const gateway: PayGateway = {
    daraja,
    sms,
    port,
    callbackUrl,
    mpesa: () => current().mpesa,
    records: () => current().records,
    store: () => current().store,
    async dial(keys = [], phone = PHONE) {
      const sessionId = `ATUid_${randomBytes(16).toString('hex')}`;
      const replies = [await hop(sessionId, '', phone)];
      for (let i = 1; i <= keys.length; i++)
        replies.push(await hop(sessionId, keys.slice(0, i).join('*'), phone));
      return replies;
    },
    hop: (sessionId, text, phone = PHONE) => hop(sessionId, text, phone),
    async rows(table) {
      await current().log.flush();
      const db = new Database(dbPath, { readonly: true });
      try {
        return db.prepare(`SELECT * FROM ${table}`).all() as Record<string, unknown>[];
      } finally {
        db.close();
      }
    },
    hash: (phone = PHONE) => hashPhone(phone, 'test-secret-0123456789'),
    dbPath,
    async twin() {
      const t = await build(await freePort());
      twins.push(t);
      return { mpesa: t.mpesa };
    },
    async stop() {
      const r = current();
      running = null;
      await shut(r);
    },
    async start() {
      running = await build();
    },
    async close() {
      for (const t of twins.splice(0)) await shut(t);
      if (running) await gateway.stop();
      await daraja.close();
      await sms?.close();
      await ollama.close();
    },
  };

  async function shut(r: Awaited<ReturnType<typeof build>>): Promise<void> {
    r.server.closeAllConnections();
    await new Promise<void>((resolve) => r.server.close(() => resolve()));
    await r.answerer.close();
    await r.mpesa.close();
    await r.log.close();
    await r.records.close();
    await r.sqlite.close();
    await r.store.close();
  }
  await gateway.start();
  return gateway;
}

/** Waits until `check` holds (polling), or fails after `ms`. */
export async function until(check: () => boolean | Promise<boolean>, ms = 5_000): Promise<void> {
  const end = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > end) throw new Error(`condition not met within ${ms} ms`);
    await new Promise((r) => setTimeout(r, 20));
  }
}
