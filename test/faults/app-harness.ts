// The app in-process for the fast part of the bad-input fuzz (issue 8): createApp with the real
// drivers main.ts uses (Redis session store on a private redis-server, the SQLite log in a temp
// dir, the Ollama driver against the fake), only without the process and the port.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Hono } from 'hono';
import { createApp } from '../../src/app.ts';
import { loadConfig } from '../../src/config.ts';
import { loadJourney } from '../../src/engine/load.ts';
import type { StoredSession } from '../../src/engine/types.ts';
import type { HopSettings } from '../../src/hop/handler.ts';
import { createAnswerer } from '../../src/inference/answerer.ts';
import { loadFaq } from '../../src/inference/faq.ts';
import { createOllamaModel } from '../../src/inference/ollama.ts';
import { createSqliteLog, type SqliteLog } from '../../src/log/sqlite.ts';
import { silentLogger } from '../../src/logger.ts';
import { createSqliteRecords } from '../../src/records/sqlite.ts';
import { createRedisClient, createRedisSessionStore } from '../../src/session/redis.ts';
import { answererOptions, appSettings, journeyFacts } from '../../src/settings.ts';
import { createSqliteThread } from '../../src/sqlite/thread.ts';
import { PROJECT_ROOT } from '../helpers/gateway-process.ts';
import { COMMAND_TIMEOUT_MS, DEADLINE_MS } from './support.ts';

export interface InProcessApp {
  app: Hono;
  log: SqliteLog;
  dbPath: string;
  close(): Promise<void>;
}

export function createInProcessApp(opts: {
  redisUrl: string;
  prefix: string;
  ollamaUrl: string;
  settings?: Partial<HopSettings>;
}): InProcessApp {
  const logger = silentLogger();
  // The same mapping main.ts uses, from the environment the fault gateway runs with.
  const config = loadConfig({
    REDIS_URL: opts.redisUrl,
    HOP_DEADLINE_MS: String(DEADLINE_MS),
    PHONE_HASH_SECRET: 'fault-suite-secret-0123456789',
    DAILY_QUESTION_QUOTA: '1000',
    HOP_RATE_PER_MINUTE: '0',
    QUESTION_RATE_PER_MINUTE: '0',
    OLLAMA_MAX_CONCURRENT: '4',
    ANSWER_CACHE_TTL_SECONDS: '0',
    ANSWER_TIMEOUT_MS: '2000',
  });
  const menus = join(PROJECT_ROOT, 'menus');
  const journey = loadJourney(menus, journeyFacts(config));
  const faq = loadFaq(join(menus, 'faq.yaml'));
  const store = createRedisSessionStore<StoredSession>(createRedisClient(opts.redisUrl, COMMAND_TIMEOUT_MS), {
    prefix: opts.prefix,
    sessionTtlSeconds: 300,
  });
  const dir = mkdtempSync(join(tmpdir(), 'ussd-fault-app-'));
  const dbPath = join(dir, 'ussd.db');
  const sqlite = createSqliteThread({ path: dbPath, logger });
  const log = createSqliteLog({ path: dbPath, thread: sqlite, flushMs: 50, retentionDays: 0, logger });
  const records = createSqliteRecords({ path: dbPath, thread: sqlite, logger });
  const model = createOllamaModel({ host: opts.ollamaUrl, model: 'llama3.2:3b', numCtx: 2048 });
  const answerer = createAnswerer({
    model,
    cache: store,
    log,
    faq,
    logger,
    options: answererOptions(config),
  });
  const app = createApp({
    journey,
    store,
    answerer,
    records,
    log,
    logger,
    settings: { ...appSettings(config), ...opts.settings },
  });
  return {
    app,
    log,
    dbPath,
    async close() {
      await answerer.close();
      await log.close();
      await records.close();
      await sqlite.close();
      await store.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
