// The PostgreSQL interaction log (issue 19): the log's contract on the real server, a fresh schema
// per test, and what is PostgreSQL's own: a batch retried after its COMMIT went through (its answer
// lost) writes nothing twice, and replicas writing hops of one session make one sessions row.
import { describe, expect, it } from 'vitest';
import { createPostgresLog, type PostgresLog } from '../../src/log/postgres.ts';
import { writeItems } from '../../src/log/postgres-batch.ts';
import type { LogItem } from '../../src/log/statements.ts';
import { silentLogger } from '../../src/logger.ts';
import { createPostgres } from '../../src/postgres/database.ts';
import { freshDatabase } from '../helpers/postgres.ts';
import { hop, sessionEnd, T0 } from './fixtures.ts';
import { describeLogContract } from './log-contract.ts';

const logger = silentLogger();

describeLogContract('postgres', async () => {
  const db = await freshDatabase('log');
  const opened: PostgresLog[] = [];
  return {
    open(over = {}) {
      const l = createPostgresLog({ url: db.url, flushMs: 60_000, retentionDays: 0, logger, ...over });
      opened.push(l);
      return l;
    },
    rows: (sql) => db.query(sql),
    async cleanup() {
      for (const l of opened) await l.close();
      await db.drop();
    },
  };
});

describe('PostgreSQL interaction log', () => {
  it('writes a batch retried after its COMMIT once: hops, the sessions row, a notification', async () => {
    const db = await freshDatabase('retry');
    const pool = createPostgres({ url: db.url, logger });
    try {
      const l = createPostgresLog({ url: db.url, db: pool, flushMs: 60_000, retentionDays: 0, logger });
      await l.flush(); // migrated
      await l.close();
      const items: LogItem[] = [
        { kind: 'hop', row: hop({ at: T0 }), uid: 'u1' },
        { kind: 'hop', row: hop({ at: T0 + 1, screen: 'ask' }), uid: 'u2' },
        { kind: 'session-end', row: sessionEnd(), uid: 'u3' },
      ];
      const soon = Date.now() + 5_000;
      await pool.transaction((c) => writeItems(c, items), soon, 'write');
      // The same batch again, as after an answer lost, and a new hop beside it (older than the
      // notification: the screen stays the latest's).
      await pool.transaction(
        (c) => writeItems(c, [...items, { kind: 'hop', row: hop({ at: T0 + 2, screen: 'end' }), uid: 'u4' }]),
        soon,
        'write',
      );
      expect(await db.query('SELECT count(*) AS n FROM hops')).toEqual([{ n: 3 }]);
      expect(await db.query('SELECT hops, notifications, last_screen FROM sessions')).toEqual([
        { hops: 3, notifications: 1, last_screen: 'ask' },
      ]);
    } finally {
      await pool.close();
      await db.drop();
    }
  });

  it('makes one sessions row of a session whose hops three replicas wrote', async () => {
    const db = await freshDatabase('replicas');
    const logs = [0, 1, 2].map(() =>
      createPostgresLog({ url: db.url, flushMs: 60_000, retentionDays: 0, logger }),
    );
    try {
      await Promise.all(logs.map((l) => l.flush()));
      for (let i = 0; i < 30; i++)
        logs[i % 3]?.recordHop(hop({ at: T0 + i, sessionId: `s${i % 5}`, screen: `x${i}` }));
      await Promise.all(logs.map((l) => l.flush()));
      expect(
        await db.query(
          'SELECT session_id, hops, first_at, last_at, last_screen FROM sessions ORDER BY session_id',
        ),
      ).toEqual(
        [0, 1, 2, 3, 4].map((k) => ({
          session_id: `s${k}`,
          hops: 6,
          first_at: T0 + k,
          last_at: T0 + 25 + k,
          last_screen: `x${25 + k}`,
        })),
      );
    } finally {
      for (const l of logs) await l.close();
      await db.drop();
    }
  });
});
