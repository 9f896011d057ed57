// The report on PostgreSQL (issue 19): the hand-worked dataset (dataset.ts) written once through
// the SQLite log and once through the PostgreSQL log gives the same report, figure for figure,
// built in process (the CLI's way) and on the admin's worker thread, and the report's SQL reads
// the same in both dialects (pg-bridge.ts only renumbers the parameters).
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Database } from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createPostgresLog } from '../../src/log/postgres.ts';
import type { QueuedLog } from '../../src/log/queued.ts';
import { createSqliteLog } from '../../src/log/sqlite.ts';
import { silentLogger } from '../../src/logger.ts';
import { openPostgresReadOnly, toPositional } from '../../src/report/pg-bridge.ts';
import { openLogReadOnly } from '../../src/report/read.ts';
import { buildReport, type Report } from '../../src/report/report.ts';
import { buildReportInWorker } from '../../src/report/report-thread.ts';
import { freshDatabase, type TestDatabase } from '../helpers/postgres.ts';
import { question } from '../log/fixtures.ts';
import { DAYS, local, NOW, seedDataset, TZ } from './dataset.ts';

const logger = silentLogger();
const options = { days: DAYS, now: NOW, tzOffsetMinutes: TZ };
let dir: string;
let pg: TestDatabase;
let fromSqlite: Report;

/** The dataset, and how some of its answers reached their askers (by SMS, with AT's reports). */
function seed(log: QueuedLog): void {
  seedDataset(log);
  const at = local(9, 10);
  log.recordQuestion(question({ id: 'q-sms', at, phoneHash: 'E', sessionId: 's-e1' }));
  log.recordDelivery({ questionId: 'q-sms', at: at + 60_000, phoneHash: 'E', how: 'sms', waitMs: 60_000 });
  log.recordSms({
    ...{
      at: at + 60_000,
      questionId: 'q-sms',
      phoneHash: 'E',
      kind: 'answer',
      status: 'sent',
      statusCode: 101,
    },
    ...{
      atStatus: 'Success',
      messageId: 'ATXid_1',
      parts: 2,
      costRaw: 'KES 0.8000',
      attempts: 1,
      error: null,
    },
  });
  log.recordSmsReport({
    at: at + 70_000,
    messageId: 'ATXid_1',
    status: 'Success',
    failureReason: '',
    networkCode: '63902',
  });
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'ussd-report-pg-'));
  const path = join(dir, 'log.db');
  const sqlite = createSqliteLog({ path, flushMs: 60_000, retentionDays: 0, logger });
  seed(sqlite);
  await sqlite.close();
  const db = openLogReadOnly(path);
  fromSqlite = buildReport(db, options);
  db.close();

  pg = await freshDatabase('report');
  const log = createPostgresLog({ url: pg.url, flushMs: 60_000, retentionDays: 0, logger });
  seed(log);
  await log.close();
});
afterAll(async () => {
  await pg.drop();
  rmSync(dir, { recursive: true, force: true });
});

describe('the report on PostgreSQL', () => {
  it('is the SQLite report, figure for figure (built in process, as the CLI does)', () => {
    const db = openPostgresReadOnly(pg.url);
    try {
      const report = buildReport(db as unknown as Database, options);
      expect(report.total.sessions).toBeGreaterThan(0);
      expect(report.total.questions).toBeGreaterThan(0);
      expect(report.delivery).toMatchObject({ bySms: 1, smsSent: 1, smsDelivered: 1, smsCost: 0.8 });
      expect(report.knowledge.topPassages.length).toBeGreaterThan(0);
      expect(report).toEqual(fromSqlite);
    } finally {
      db.close();
    }
  });

  it('is the same on the admin’s worker thread', async () => {
    expect(await buildReportInWorker({ kind: 'postgres', url: pg.url }, options)).toEqual(fromSqlite);
  });

  it('says what is wrong with a database that holds no log', async () => {
    const empty = await freshDatabase('report_empty');
    try {
      expect(() => openPostgresReadOnly(empty.url)).toThrow(/no interaction log/);
    } finally {
      await empty.drop();
    }
  });

  it.each([
    [
      'named',
      'a = @start AND b < @end AND c = @start',
      [{ start: 1, end: 2 }],
      'a = $1 AND b < $2 AND c = $1',
      [1, 2],
    ],
    ['positional', 'key = ? AND x = ?', ['k', 3], 'key = $1 AND x = $2', ['k', 3]],
  ])('renumbers %s parameters as $n', (_name, sql, params, text, values) => {
    expect(toPositional(sql, params)).toEqual({ text, values });
  });
});
