// Builds the real app for HTTP-level tests: the default journey, sessions in the real Redis under a
// fresh prefix, the log in a real SQLite file, the real answer pipeline talking HTTP to a fake
// Ollama. Also the phone-validity invariants every reply to AT must meet.
import { randomBytes } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { expect } from 'vitest';
import { type AppDeps, createApp } from '../../src/app.ts';
import { loadConfig } from '../../src/config.ts';
import { loadJourney } from '../../src/engine/load.ts';
import type { StoredSession } from '../../src/engine/types.ts';
import { createAnswerer } from '../../src/inference/answerer.ts';
import { createFaq } from '../../src/inference/faq.ts';
import { createOllamaModel } from '../../src/inference/ollama.ts';
import { createSqliteLog } from '../../src/log/sqlite.ts';
import { silentLogger } from '../../src/logger.ts';
import { createSqliteRecords } from '../../src/records/sqlite.ts';
import { isGsm, septets } from '../../src/screen/gsm7.ts';
import { createRedisClient, createRedisSessionStore } from '../../src/session/redis.ts';
import type { SessionStore } from '../../src/session/types.ts';
import { answererOptions, appSettings } from '../../src/settings.ts';
import { createSqliteThread } from '../../src/sqlite/thread.ts';
import { type FakeOllama, startFakeOllama } from '../helpers/fake-ollama.ts';

export const REDIS_URL = process.env['REDIS_URL'] ?? 'redis://127.0.0.1:6379';

export interface TestApp {
  app: ReturnType<typeof createApp>;
  ollama: FakeOllama;
  store: SessionStore<StoredSession>;
  dbPath: string;
  /** Flushes the log and returns rows of a table. */
  rows(table: string): Promise<Record<string, unknown>[]>;
  hop(fields: Record<string, string>, init?: RequestInit): Promise<Response>;
  close(): Promise<void>;
}

export async function buildTestApp(
  settings: Partial<AppDeps['settings']> = {},
  overrides: { store?: SessionStore<StoredSession>; env?: Record<string, string> } = {},
): Promise<TestApp> {
  const logger = silentLogger();
  const ollama = await startFakeOllama();
  // The same mapping main.ts uses, from the environment a test would set.
  const config = loadConfig({
    REDIS_URL,
    HOP_DEADLINE_MS: '2000',
    PHONE_HASH_SECRET: 'test-secret-0123456789',
    HOP_RATE_PER_MINUTE: '0',
    QUESTION_RATE_PER_MINUTE: '0',
    ANSWER_CACHE_TTL_SECONDS: '0',
    ANSWER_TIMEOUT_MS: '10000',
    ...overrides.env,
  });
  const prefix = `test:app:${randomBytes(6).toString('hex')}:`;
  const store =
    overrides.store ??
    createRedisSessionStore<StoredSession>(createRedisClient(REDIS_URL, 500), {
      prefix,
      sessionTtlSeconds: 300,
    });
  const dbPath = join(mkdtempSync(join(tmpdir(), 'ussd-app-')), 'ussd.db');
  const sqlite = createSqliteThread({ path: dbPath, logger });
  const log = createSqliteLog({ path: dbPath, thread: sqlite, flushMs: 50, retentionDays: 0, logger });
  const records = createSqliteRecords({ path: dbPath, thread: sqlite, logger });
  const model = createOllamaModel({ host: ollama.url, model: 'llama3.2:3b', numCtx: 2048 });
  const faq = createFaq([
    {
      q: { en: ['is it free'], sw: ['ni bure'] },
      a: { en: 'Yes, 5 questions a day are free.', sw: 'Ndiyo, maswali 5 kwa siku ni bure.' },
    },
  ]);
  const answerer = createAnswerer({
    model,
    cache: store,
    log,
    faq,
    logger,
    options: answererOptions(config),
  });
  const journey = loadJourney('menus', { dailyQuota: 5, price: 'KES 20', days: 30 });
  const app = createApp({
    journey,
    store,
    answerer,
    records,
    log,
    logger,
    settings: { ...appSettings(config), ...settings },
  });
  return {
    app,
    ollama,
    store,
    dbPath,
    async rows(table) {
      await log.flush();
      const db = new Database(dbPath, { readonly: true });
      try {
        return db.prepare(`SELECT * FROM ${table}`).all() as Record<string, unknown>[];
      } finally {
        db.close();
      }
    },
    hop(fields, init = {}) {
      const body = new URLSearchParams({
        serviceCode: '*384*123#',
        phoneNumber: '+254711000001',
        networkCode: '63902',
        ...fields,
      });
      return Promise.resolve(app.request('/ussd', { method: 'POST', body, ...init }));
    },
    async close() {
      await answerer.close();
      await log.close();
      await records.close();
      await sqlite.close();
      await store.close();
      await ollama.close();
    },
  };
}

export function sessionId(): string {
  return `ATUid_${randomBytes(16).toString('hex')}`;
}

/** Every reply to a hop must be valid on a phone (DEVELOPERS.md "What done means"). */
export async function expectPhoneValid(res: Response): Promise<string> {
  const body = await res.text();
  expect(res.status).toBe(200);
  expect(res.headers.get('content-type') ?? '').toMatch(/^text\/plain/);
  expect(body).toMatch(/^(CON|END) \S/);
  const screen = body.slice(4);
  expect(isGsm(screen), `not GSM-7: ${JSON.stringify(screen)}`).toBe(true);
  expect(septets(screen)).toBeLessThanOrEqual(182);
  for (const bad of ['undefined', '[object Object]', 'NaN', 'Error', '    at ', '\r'])
    expect(body).not.toContain(bad);
  return body;
}
