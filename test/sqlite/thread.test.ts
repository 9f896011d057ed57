// The SQLite worker thread (src/sqlite/): requests answered in order, each bounded by its caller's
// deadline, and a request whose deadline passed while it waited is never run, so a write the
// caller gave up on cannot land later. The worker is held up for real: another connection holds
// the write lock (BEGIN EXCLUSIVE), so the worker's write waits out its busy timeout.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import BetterSqlite3 from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { DatabaseError } from '../../src/errors.ts';
import { silentLogger } from '../../src/logger.ts';
import { BUSY_TIMEOUT_MS, createSqliteThread, type SqliteThread } from '../../src/sqlite/thread.ts';

let dir: string;
let thread: SqliteThread;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'ussd-thread-'));
  thread = createSqliteThread({ path: join(dir, 'ussd.db'), logger: silentLogger() });
});
afterEach(async () => {
  await thread.close();
  rmSync(dir, { recursive: true, force: true });
});

const setLanguage = (phoneHash: string, deadline: number) =>
  thread.call('records.setLanguage', { phoneHash, lang: 'sw', at: 1 }, { deadline });
const failure = (p: Promise<unknown>) =>
  p.then(
    () => null,
    (e: unknown) => e as DatabaseError,
  );

describe('SQLite worker thread', () => {
  it('opens and migrates the file on the first request, answering in order', async () => {
    expect(await thread.call('open')).toBeNull();
    await setLanguage('a', Date.now() + 5_000);
    expect(await thread.call('records.getPhone', { phoneHash: 'a' })).toEqual({ lang: 'sw' });
  });

  it('a request behind a stuck one is dropped at its deadline and never runs afterwards', async () => {
    await thread.call('open');
    const locker = new BetterSqlite3(join(dir, 'ussd.db'));
    locker.exec('BEGIN EXCLUSIVE');
    try {
      // The first waits out the busy timeout on the lock; the second is due before that.
      const stuck = failure(setLanguage('first', Date.now() + 10_000));
      const late = failure(setLanguage('second', Date.now() + BUSY_TIMEOUT_MS / 4));
      expect((await late)?.code).toBe('DEADLINE');
      expect((await stuck)?.code).toMatch(/^SQLITE_BUSY/);
    } finally {
      locker.exec('COMMIT');
      locker.close();
    }
    expect(await thread.call('records.getPhone', { phoneHash: 'second' })).toEqual({});
  });

  it('an unknown request is an error, and the thread goes on', async () => {
    const error = await failure(thread.call('no.such'));
    expect(error).toBeInstanceOf(DatabaseError);
    expect(error?.message).toMatch(/no such operation/);
    expect(await thread.call('open')).toBeNull();
  });

  it('after close, requests fail at once', async () => {
    await thread.close();
    expect((await failure(thread.call('open')))?.code).toBe('CLOSED');
  });
});
