// The records store's PostgreSQL driver (issue 19): the contract on the real server, a fresh
// schema per test, and what is its own: the records share the log's database and pool, the log's
// retention never purges them, and a deadline is kept when PostgreSQL cannot be reached.
import { describe, expect, it } from 'vitest';
import { createPostgresLog } from '../../src/log/postgres.ts';
import { silentLogger } from '../../src/logger.ts';
import { createPostgres } from '../../src/postgres/database.ts';
import { createPostgresRecords } from '../../src/records/postgres.ts';
import { freshDatabase } from '../helpers/postgres.ts';
import { describeRecordsContract, expectPurgeKeepsRecords, T0 } from './contract.ts';
import { describePaymentsContract } from './payments-contract.ts';

const logger = silentLogger();

async function harness() {
  const db = await freshDatabase('records');
  return {
    store: createPostgresRecords({ url: db.url, logger }),
    reopen: async () => createPostgresRecords({ url: db.url, logger }),
    cleanup: () => db.drop(),
  };
}

describeRecordsContract('postgres', harness);
describePaymentsContract('postgres', harness);

describe('records store: postgres', () => {
  it('shares the log database and its pool; the log purge never deletes records', async () => {
    const db = await freshDatabase('records_log');
    const pg = createPostgres({ url: db.url, logger });
    const log = createPostgresLog({
      url: db.url,
      db: pg,
      flushMs: 60_000,
      retentionDays: 30,
      logger,
      clock: () => T0,
    });
    const records = createPostgresRecords({ url: db.url, db: pg, logger });
    try {
      await expectPurgeKeepsRecords(log, records);
      expect(await db.query('SELECT count(*) AS n FROM subscriptions')).toEqual([{ n: 1 }]);
    } finally {
      await log.close();
      await records.close();
      await pg.close();
      await db.drop();
    }
  });

  it('keeps the caller’s deadline when nothing answers on the port', async () => {
    // A listening socket that never speaks: the connection hangs, as behind a cut link.
    const net = await import('node:net');
    const sockets: import('node:net').Socket[] = [];
    const server = net.createServer((s) => sockets.push(s));
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const { port } = server.address() as import('node:net').AddressInfo;
    const records = createPostgresRecords({ url: `postgres://postgres@127.0.0.1:${port}/x`, logger });
    try {
      const started = Date.now();
      const err = await records.getPhone('p1', { deadline: Date.now() + 250 }).catch((e: unknown) => e);
      const took = Date.now() - started;
      expect(err).toMatchObject({ name: 'RecordsStoreError', timedOut: true });
      expect(took).toBeGreaterThanOrEqual(240);
      expect(took).toBeLessThan(400);
    } finally {
      await records.close();
      for (const s of sockets) s.destroy();
      server.close();
    }
  });
});
