// `npm run log:migrate` (issue 19 item 2) on a real SQLite file and the real PostgreSQL: the whole
// history copied (the log, phones, subscriptions, payments), row for row; run again, nothing
// doubled; interrupted mid-table, resumed where it stopped; a second box's file beside the first;
// and a one-line reason with exit 1 for each thing that can be wrong.
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { copyToPostgres } from '../../src/log/copy-to-postgres.ts';
import { createSqliteLog } from '../../src/log/sqlite.ts';
import { silentLogger } from '../../src/logger.ts';
import { migratePostgres } from '../../src/postgres/migrate.ts';
import { PG_TYPES } from '../../src/postgres/pool.ts';
import { createSqliteRecords } from '../../src/records/sqlite.ts';
import { openLogReadOnly } from '../../src/report/read.ts';
import { PROJECT_ROOT } from '../helpers/gateway-process.ts';
import { freshDatabase, type TestDatabase } from '../helpers/postgres.ts';
import { hop, question, sessionEnd, T0 } from '../log/fixtures.ts';
import { subscription } from '../records/contract.ts';

const logger = silentLogger();
const TABLES = ['sessions', 'hops', 'questions', 'feedback', 'tier_events', 'phones', 'subscriptions'];
let dir: string;

/** A box's file: `n` sessions of three hops, a question and a rating each, and some records. */
async function boxFile(name: string, n: number): Promise<string> {
  const path = join(dir, `${name}.db`);
  const log = createSqliteLog({ path, flushMs: 60_000, retentionDays: 0, logger });
  for (let i = 0; i < n; i++) {
    const sessionId = `${name}-s${i}`;
    for (let h = 0; h < 3; h++)
      log.recordHop(hop({ at: T0 + i * 10 + h, sessionId, phoneHash: `${name}-p${i % 7}` }));
    log.recordQuestion(question({ id: `${name}-q${i}`, at: T0 + i * 10, sessionId }));
    log.recordFeedback({
      at: T0 + i * 10 + 5,
      sessionId,
      phoneHash: `${name}-p${i % 7}`,
      questionId: `${name}-q${i}`,
      helpful: i % 2 === 0,
    });
  }
  log.recordSessionEnd(sessionEnd({ sessionId: `${name}-s0` }));
  await log.close();
  const records = createSqliteRecords({ path, logger });
  const soon = { deadline: Date.now() + 5_000 };
  await records.setLanguage(`${name}-p1`, 'sw', T0, soon);
  await records.addSubscription(subscription({ id: `${name}-sub`, phoneHash: `${name}-p1` }), soon);
  await records.close();
  return path;
}

function run(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      ['--import', 'tsx', join(PROJECT_ROOT, 'src/cli/log-migrate.ts'), ...args],
      { cwd: PROJECT_ROOT, env: { PATH: process.env['PATH'] ?? '' }, timeout: 60_000 },
      (err, stdout, stderr) =>
        resolve({ code: err ? ((err as { code?: number }).code ?? 1) : 0, stdout, stderr }),
    );
  });
}

async function counts(db: TestDatabase): Promise<Record<string, number>> {
  const out: Record<string, number> = {};
  for (const t of TABLES)
    out[t] = (await db.query<{ n: number }>(`SELECT count(*) AS n FROM ${t}`))[0]?.n ?? 0;
  return out;
}

let fileA: string;
beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'ussd-migrate-'));
  fileA = await boxFile('a', 40);
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('npm run log:migrate', () => {
  it('copies a box’s history row for row, and a second run doubles nothing', async () => {
    const db = await freshDatabase('migrate');
    try {
      const first = await run('--from', fileA, '--to', db.url);
      expect(first.stderr).toMatch(/hops: 120\/120 \(100%\)/);
      expect(first).toMatchObject({ code: 0, stdout: expect.stringMatching(/^copied 242 rows from /) });
      const expected = {
        sessions: 40,
        hops: 120,
        questions: 40,
        feedback: 40,
        tier_events: 0,
        phones: 1,
        subscriptions: 1,
      };
      expect(await counts(db)).toEqual(expected);
      expect(
        await db.query('SELECT hops, notifications FROM sessions WHERE session_id = $1', ['a-s0']),
      ).toEqual([{ hops: 3, notifications: 1 }]);
      const again = await run('--from', fileA, '--to', db.url);
      expect(again).toMatchObject({ code: 0, stdout: expect.stringMatching(/^copied 0 rows /) });
      expect(await counts(db)).toEqual(expected);
      // A second box's file lands beside the first; its rows' ids are its own.
      const fileB = await boxFile('b', 5);
      expect((await run('--from', fileB, '--to', db.url)).code).toBe(0);
      expect((await counts(db)).hops).toBe(135);
    } finally {
      await db.drop();
    }
  }, 60_000); // three runs of the CLI, each a Node process compiling TypeScript

  it('resumes where an interrupted copy stopped, without doubling the chunk it was in', async () => {
    const db = await freshDatabase('migrate_resume');
    const client = new pg.Client({ connectionString: db.url, types: PG_TYPES });
    await client.connect();
    const file = openLogReadOnly(fileA);
    try {
      await migratePostgres(client);
      let chunks = 0;
      const cut = copyToPostgres(file, client, {
        chunk: 25,
        onProgress: (p) => {
          if (p.table === 'hops' && p.done > 0 && ++chunks === 2) throw new Error('cut off');
        },
      });
      await expect(cut).rejects.toThrow('cut off');
      expect((await counts(db)).hops).toBe(50);
      const resumed = await copyToPostgres(file, client, { chunk: 25 });
      expect(resumed.sent['hops']).toBe(70);
      expect(resumed.sent['sessions']).toBe(0);
      expect(await counts(db)).toMatchObject({ sessions: 40, hops: 120, questions: 40 });
    } finally {
      file.close();
      await client.end();
      await db.drop();
    }
  });

  it.each([
    [['--to', 'postgres://h/db'], /--from is missing/],
    [['--from', 'x.db'], /--to is missing/],
    [['--from', 'x.db', '--to', 'mysql://h/db'], /--to mysql:\/\/h\/db: must start with postgres:\/\//],
    [
      ['--from', '/nonexistent/ussd.db', '--to', 'postgres://h/db'],
      /--from \/nonexistent\/ussd.db: .*no database at/,
    ],
    [
      ['--from', 'FILE', '--to', 'postgres://postgres:secret@127.0.0.1:9/db'],
      /cannot connect: .*ECONNREFUSED/,
    ],
  ])('exits 1 naming what is wrong: %j', async (args, message) => {
    const r = await run(...args.map((a) => (a === 'FILE' ? fileA : a)));
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(message);
    expect(r.stderr).not.toContain('secret');
  });
});
