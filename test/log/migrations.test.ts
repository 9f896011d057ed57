// The schema is created and upgraded by numbered migrations on open: on a fresh file, on a file
// left at an older version, all-or-nothing per migration, and never on a file newer than the code.
import { join } from 'node:path';
import BetterSqlite3 from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { InteractionLogError } from '../../src/errors.ts';
import { MIGRATIONS, migrate, SCHEMA_VERSION, userVersion } from '../../src/log/migrations.ts';
import { createSqliteLog } from '../../src/log/sqlite.ts';
import { silentLogger } from '../../src/logger.ts';
import { tempDir } from './fixtures.ts';

let dir: string;
let cleanup: () => void;
beforeEach(() => ({ dir, cleanup } = tempDir()));
afterEach(() => cleanup());

const names = (db: BetterSqlite3.Database, type: 'table' | 'index') =>
  (
    db
      .prepare(`SELECT name FROM sqlite_master WHERE type = ? AND name NOT LIKE 'sqlite_%' ORDER BY name`)
      .all(type) as { name: string }[]
  ).map((r) => r.name);

describe('migrations', () => {
  it('are numbered 1, 2, 3 … without gaps', () => {
    expect(MIGRATIONS.map((m) => m.version)).toEqual(MIGRATIONS.map((_, i) => i + 1));
    expect(SCHEMA_VERSION).toBe(MIGRATIONS.length);
  });

  it('create the whole schema, in WAL mode, on a fresh file in a directory that does not exist yet', async () => {
    const path = join(dir, 'nested', 'deeper', 'log.db');
    const log = createSqliteLog({ path, flushMs: 1000, retentionDays: 0, logger: silentLogger() });
    expect(log.status().ok).toBe(true);
    await log.close();

    const db = new BetterSqlite3(path, { readonly: true });
    expect(userVersion(db)).toBe(SCHEMA_VERSION);
    expect(db.pragma('journal_mode', { simple: true })).toBe('wal');
    expect(names(db, 'table')).toEqual([
      'deliveries',
      'feedback',
      'hops',
      'meta',
      'payments',
      'phones',
      'questions',
      'sessions',
      'sms',
      'subscriptions',
      'tier_events',
    ]);
    expect(names(db, 'index')).toEqual([
      'deliveries_at',
      'feedback_at',
      'feedback_question',
      'hops_at',
      'payments_open_due',
      'payments_phone_requested',
      'payments_untold',
      'questions_at',
      'questions_phone_at',
      'questions_session',
      'sessions_first_at_phone',
      'sessions_last_at',
      'sms_at',
      'sms_message',
      'subscriptions_phone_ends',
      'tier_events_at',
      'tier_events_phone_at',
    ]);
    db.close();
  });

  it('upgrade a file left at version 1 and keep its rows', async () => {
    const path = join(dir, 'old.db');
    const old = new BetterSqlite3(path);
    expect(migrate(old, MIGRATIONS.slice(0, 1))).toEqual([1]);
    old
      .prepare(
        `INSERT INTO sessions (session_id, first_at, last_at, phone_hash, service_code, hops) VALUES ('s-old', 1, 2, 'p', '*1#', 4)`,
      )
      .run();
    expect(names(old, 'table')).toEqual(['hops', 'sessions']);
    old.close();

    const log = createSqliteLog({ path, flushMs: 1000, retentionDays: 0, logger: silentLogger() });
    await log.close();

    const db = new BetterSqlite3(path, { readonly: true });
    expect(userVersion(db)).toBe(SCHEMA_VERSION);
    expect(names(db, 'table')).toEqual(
      expect.arrayContaining(['deliveries', 'feedback', 'hops', 'meta', 'questions', 'sms', 'tier_events']),
    );
    expect(db.prepare(`SELECT session_id, hops FROM sessions`).all()).toEqual([
      { session_id: 's-old', hops: 4 },
    ]);
    db.close();
  });

  it('apply nothing to a current file', () => {
    const db = new BetterSqlite3(join(dir, 'x.db'));
    expect(migrate(db)).toEqual(MIGRATIONS.map((m) => m.version));
    expect(migrate(db)).toEqual([]);
    db.close();
  });

  it('roll a failing migration back whole and leave the version where it was', () => {
    const db = new BetterSqlite3(join(dir, 'x.db'));
    const broken = [
      MIGRATIONS[0]!,
      { version: 2, name: 'broken', sql: 'CREATE TABLE half_done (a); SELECT * FROM no_such_table;' },
    ];
    expect(() => migrate(db, broken)).toThrow(InteractionLogError);
    expect(userVersion(db)).toBe(1);
    expect(names(db, 'table')).not.toContain('half_done');
    db.close();
  });

  it('refuse a file written by newer code', () => {
    const db = new BetterSqlite3(join(dir, 'x.db'));
    db.pragma(`user_version = ${SCHEMA_VERSION + 1}`);
    expect(() => migrate(db)).toThrow(/newer than this code/);
    db.close();
  });
});
