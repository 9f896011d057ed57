// The sessions row of a batch: hops are folded per session and upserted once (issue 7), which must
// leave exactly the row that upserting each hop in turn leaves, whatever the order, times, phones,
// network codes and batch boundaries. Real SQLite files, both ways, compared column by column.
import { join } from 'node:path';
import BetterSqlite3 from 'better-sqlite3';
import fc from 'fast-check';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { migrate } from '../../src/log/migrations.ts';
import { sessionTouches } from '../../src/log/row-values.ts';
import { createLogWriter } from '../../src/log/statements.ts';
import type { HopRow } from '../../src/log/types.ts';
import { hop, T0, tempDir } from './fixtures.ts';

let dir: string;
let cleanup: () => void;
beforeEach(() => {
  ({ dir, cleanup } = tempDir());
});
afterEach(() => cleanup());

let files = 0;
function database() {
  const db = new BetterSqlite3(join(dir, `log-${++files}.db`));
  migrate(db);
  return { db, writer: createLogWriter(db) };
}

const sessionsOf = (db: BetterSqlite3.Database) =>
  db.prepare('SELECT * FROM sessions ORDER BY session_id').all();

const hopRow = fc
  .record({
    session: fc.constantFrom('A', 'B', 'C'),
    offset: fc.integer({ min: 0, max: 20 }),
    phone: fc.option(fc.constantFrom('+254711000001', '+254711000002'), { nil: undefined }),
    networkCode: fc.option(fc.constantFrom('63902', '63903'), { nil: undefined }),
    screen: fc.constantFrom('main', 'ask', 'answer'),
    lang: fc.constantFrom('en', 'sw'),
  })
  .map(({ session, offset, phone, networkCode, screen, lang }) => {
    const row: HopRow = hop({ sessionId: `ATUid_${session}`, at: T0 + offset * 1000, screen, lang });
    if (phone === undefined) delete row.phone;
    else row.phone = phone;
    if (networkCode === undefined) delete row.networkCode;
    else row.networkCode = networkCode;
    return row;
  });

describe('sessions rows written once per batch', () => {
  it('equal the rows left by upserting every hop in turn, across batch boundaries', () => {
    fc.assert(
      fc.property(fc.array(hopRow, { maxLength: 30 }), fc.integer({ min: 1, max: 30 }), (hops, size) => {
        const oneByOne = database();
        for (const h of hops) oneByOne.writer.touchSessions([h]);
        const batched = database();
        for (let i = 0; i < hops.length; i += size) batched.writer.touchSessions(hops.slice(i, i + size));
        expect(sessionsOf(batched.db)).toEqual(sessionsOf(oneByOne.db));
        oneByOne.db.close();
        batched.db.close();
      }),
      { numRuns: 60 },
    );
  });

  it('fold a session: count, first and last time, the latest screen, the first network code', () => {
    const touches = sessionTouches([
      hop({ at: T0 + 2000, screen: 'ask', networkCode: '63902' }),
      hop({ at: T0, screen: 'main', networkCode: '63903' }),
      hop({ at: T0 + 2000, screen: 'answer', lang: 'sw', phone: '+254711000001' }),
      hop({ sessionId: 'ATUid_other', at: T0 + 1 }),
    ]);
    expect(touches).toEqual([
      {
        sessionId: 'ATUid_s1',
        firstAt: T0,
        lastAt: T0 + 2000,
        phoneHash: 'p1',
        phone: '+254711000001',
        serviceCode: '*384*123#',
        networkCode: '63902',
        hops: 3,
        lastScreen: 'answer',
        lang: 'sw',
      },
      expect.objectContaining({ sessionId: 'ATUid_other', hops: 1, firstAt: T0 + 1, lastAt: T0 + 1 }),
    ]);
  });
});
