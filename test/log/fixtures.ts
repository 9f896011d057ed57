// Shared fixtures for the interaction log's tests: a temp dir per test and complete rows with
// overridable fields. Real SQLite files only.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, beforeEach } from 'vitest';
import { createSqliteLog, type SqliteLog, type SqliteLogOptions } from '../../src/log/sqlite.ts';
import type { FeedbackRow, HopRow, QuestionRow, SessionEndRow, TierRow } from '../../src/log/types.ts';
import { silentLogger } from '../../src/logger.ts';

export function tempDir(): { dir: string; cleanup: () => void } {
  const dir = mkdtempSync(join(tmpdir(), 'ussd-log-'));
  return { dir, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

/**
 * A fresh temp dir and log file path per test, and `open` to make the log over it; the log is
 * closed and the dir removed after each test. Call once at the top of a test file.
 */
export function useLogFile() {
  const file = { dir: '', path: '', log: undefined as SqliteLog | undefined };
  let cleanup = () => {};
  beforeEach(() => {
    ({ dir: file.dir, cleanup } = tempDir());
    file.path = join(file.dir, 'log.db');
  });
  afterEach(async () => {
    await file.log?.close();
    file.log = undefined;
    cleanup();
  });
  return {
    get dir() {
      return file.dir;
    },
    get path() {
      return file.path;
    },
    /** The log over this test's file: flushed only when asked, no retention, unless `over` says. */
    open(over: Partial<SqliteLogOptions> = {}): SqliteLog {
      file.log = createSqliteLog({
        path: file.path,
        flushMs: 60_000,
        retentionDays: 0,
        logger: silentLogger(),
        ...over,
      });
      return file.log;
    },
  };
}

/**
 * One log file for the whole test file, filled by `seed` before the first test and removed after
 * the last: for the tests that only read a log (report, admin, CLI).
 */
export function useSeededLogFile(seed: (log: SqliteLog) => void) {
  const file = { dir: '', path: '' };
  let cleanup = () => {};
  beforeAll(async () => {
    ({ dir: file.dir, cleanup } = tempDir());
    file.path = join(file.dir, 'log.db');
    const log = createSqliteLog({
      path: file.path,
      flushMs: 60_000,
      retentionDays: 0,
      logger: silentLogger(),
    });
    seed(log);
    await log.close();
  });
  afterAll(() => cleanup());
  return file;
}

export const T0 = Date.UTC(2026, 0, 10, 9, 0, 0); // 2026-01-10 12:00 in UTC+3

export function hop(over: Partial<HopRow> = {}): HopRow {
  return {
    at: T0,
    sessionId: 'ATUid_s1',
    phoneHash: 'p1',
    serviceCode: '*384*123#',
    networkCode: '63902',
    input: null,
    text: '',
    screen: 'main',
    lang: 'en',
    replyKind: 'CON',
    reply: 'Welcome\n1. Ask',
    latencyMs: 12,
    outcome: 'ok',
    ...over,
  };
}

export function question(over: Partial<QuestionRow> = {}): QuestionRow {
  return {
    id: 'q1',
    at: T0,
    sessionId: 'ATUid_s1',
    phoneHash: 'p1',
    channel: 'ussd',
    lang: 'en',
    model: 'llama3.2:3b',
    question: 'How do I plant maize?',
    prompt: 'system\nHow do I plant maize?',
    answer: 'Plant at the start of the rains.',
    tokensIn: 40,
    tokensOut: 20,
    ttftMs: 300,
    latencyMs: 1500,
    deadlineCut: false,
    cacheHit: false,
    source: 'model',
    outcome: 'ok',
    ...over,
  };
}

export function sessionEnd(over: Partial<SessionEndRow> = {}): SessionEndRow {
  return {
    at: T0 + 60_000,
    sessionId: 'ATUid_s1',
    phoneHash: 'p1',
    serviceCode: '*384*123#',
    networkCode: '63902',
    date: '2026-01-10 12:01:00',
    status: 'Success',
    costRaw: 'KES 0.10',
    costAmount: null,
    costCurrency: null,
    durationMs: 60_000,
    hopsCount: 3,
    input: '1*how do i plant maize',
    lastAppResponse: 'END Thank you',
    errorMessage: '',
    raw: '{"sessionId":"ATUid_s1"}',
    ...over,
  };
}

export function feedback(over: Partial<FeedbackRow> = {}): FeedbackRow {
  return { at: T0, sessionId: 'ATUid_s1', phoneHash: 'p1', questionId: 'q1', helpful: true, ...over };
}

export function tier(over: Partial<TierRow> = {}): TierRow {
  return {
    at: T0,
    sessionId: 'ATUid_s1',
    phoneHash: 'p1',
    event: 'offer',
    price: 'KES 20',
    days: 30,
    ...over,
  };
}

/** Polls `check` until it returns true; fails after `ms`. */
export async function until(check: () => boolean, ms = 5_000): Promise<void> {
  const end = Date.now() + ms;
  while (!check()) {
    if (Date.now() > end) throw new Error(`condition not met within ${ms} ms`);
    await new Promise((r) => setTimeout(r, 10));
  }
}
