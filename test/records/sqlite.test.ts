// The records store's SQLite driver: the contract on real files in temp dirs, and what is its own:
// the records share the log's file and worker thread, and the log's retention never purges them.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import BetterSqlite3 from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { createSqliteLog } from '../../src/log/sqlite.ts';
import { silentLogger } from '../../src/logger.ts';
import { createSqliteRecords } from '../../src/records/sqlite.ts';
import { createSqliteThread } from '../../src/sqlite/thread.ts';
import { describeRecordsContract, expectPurgeKeepsRecords, T0 } from './contract.ts';
import { describePaymentsContract } from './payments-contract.ts';

const logger = silentLogger();
const fresh = () => {
  const dir = mkdtempSync(join(tmpdir(), 'ussd-records-'));
  return { dir, path: join(dir, 'ussd.db') };
};

describeRecordsContract('sqlite', async () => {
  const { dir, path } = fresh();
  return {
    store: createSqliteRecords({ path, logger }),
    reopen: async () => createSqliteRecords({ path, logger }),
    cleanup: async () => rmSync(dir, { recursive: true, force: true }),
  };
});

describePaymentsContract('sqlite', async () => {
  const { dir, path } = fresh();
  return {
    store: createSqliteRecords({ path, logger }),
    reopen: async () => createSqliteRecords({ path, logger }),
    cleanup: async () => rmSync(dir, { recursive: true, force: true }),
  };
});

describe('records store: sqlite', () => {
  it('shares the log file and its worker thread; the log purge never deletes records', async () => {
    const { dir, path } = fresh();
    const thread = createSqliteThread({ path, logger });
    const log = createSqliteLog({
      path,
      thread,
      flushMs: 60_000,
      retentionDays: 30,
      logger,
      clock: () => T0,
    });
    const records = createSqliteRecords({ path, thread, logger });
    try {
      await expectPurgeKeepsRecords(log, records);
    } finally {
      await log.close();
      await records.close();
      await thread.close();
    }
    const db = new BetterSqlite3(path, { readonly: true });
    expect(db.prepare('SELECT count(*) AS n FROM subscriptions').get()).toEqual({ n: 1 });
    db.close();
    rmSync(dir, { recursive: true, force: true });
  });
});
