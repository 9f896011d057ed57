// `npm run bench:postgres`: the PostgreSQL driver's figures (issue 19), against the real server at
// DATABASE_TEST_URL (default postgres://postgres@127.0.0.1:5432/postgres), a fresh schema each run:
// 1. batch write rate: N hop rows (with their sessions rows, SESSIONS of them) queued, then
//    written by the log's own timer and batches (500 rows, one INSERT … SELECT unnest each), as the
//    gateway writes; the SQLite log the same way for reference;
// 2. log:migrate rate: the SQLite file just written copied into a second fresh schema.
// env: N (hop rows, 200000), SESSIONS (N / 4).
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { copyToPostgres } from '../src/log/copy-to-postgres.ts';
import { createPostgresLog } from '../src/log/postgres.ts';
import type { QueuedLog } from '../src/log/queued.ts';
import { createSqliteLog } from '../src/log/sqlite.ts';
import { silentLogger } from '../src/logger.ts';
import { migratePostgres } from '../src/postgres/migrate.ts';
import { PG_TYPES } from '../src/postgres/pool.ts';
import { openLogReadOnly } from '../src/report/read.ts';
import { freshDatabase } from '../test/helpers/postgres.ts';
import { hop, question } from '../test/log/fixtures.ts';

const N = Number(process.env['N'] ?? 200_000);
const SESSIONS = Number(process.env['SESSIONS'] ?? Math.ceil(N / 4));
const logger = silentLogger();

async function fill(log: QueuedLog): Promise<number> {
  await log.flush(); // opened, migrated
  const started = performance.now();
  for (let i = 0; i < N; i++) {
    const s = i % SESSIONS;
    log.recordHop(
      hop({ at: 1_767_000_000_000 + i, sessionId: `ATUid_${s}`, phoneHash: `p${s % 5000}`, text: `${i}` }),
    );
    if (i % 4 === 0)
      log.recordQuestion(question({ id: `q${i}`, at: 1_767_000_000_000 + i, sessionId: `ATUid_${s}` }));
  }
  await log.flush();
  const ms = performance.now() - started;
  const { written } = log.status();
  await log.close();
  return (written / ms) * 1000;
}

const dir = mkdtempSync(join(tmpdir(), 'ussd-bench-pg-'));
const path = join(dir, 'ussd.db');
const db = await freshDatabase('bench');
const target = await freshDatabase('bench_migrate');
try {
  const rows = N + Math.ceil(N / 4);
  const sqliteRate = await fill(
    createSqliteLog({ path, flushMs: 20, retentionDays: 0, logger, maxQueueBytes: 2 ** 31 }),
  );
  const pgRate = await fill(
    createPostgresLog({ url: db.url, flushMs: 20, retentionDays: 0, logger, maxQueueBytes: 2 ** 31 }),
  );
  console.log(
    `batch write rate, ${rows} log rows (${N} hops over ${SESSIONS} sessions, ${rows - N} questions):`,
  );
  console.log(`  postgres ${Math.round(pgRate).toLocaleString('en')} rows/s`);
  console.log(`  sqlite   ${Math.round(sqliteRate).toLocaleString('en')} rows/s`);

  const file = openLogReadOnly(path);
  const client = new pg.Client({ connectionString: target.url, types: PG_TYPES });
  await client.connect();
  await migratePostgres(client);
  const result = await copyToPostgres(file, client);
  const copied = Object.values(result.sent).reduce((a, b) => a + b, 0);
  console.log(
    `log:migrate: ${copied.toLocaleString('en')} rows in ${(result.ms / 1000).toFixed(1)} s, ${Math.round((copied / result.ms) * 1000).toLocaleString('en')} rows/s`,
  );
  await client.end();
  file.close();
} finally {
  await db.drop();
  await target.drop();
  rmSync(dir, { recursive: true, force: true });
}
