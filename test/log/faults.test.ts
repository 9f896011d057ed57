// The log under real faults, none simulated: a database locked by another connection, a database
// file made read-only, a directory that cannot be created. record* keeps answering (the hop's path
// never waits), failures are counted and visible, and once the fault clears every queued row
// arrives exactly once.
//
// Read-only as root: root ignores chmod, so the files are made immutable (chattr +i, which root
// must obey); as another user plain chmod does it. Either way the kernel refuses the writes.
import { execFileSync } from 'node:child_process';
import { chmodSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import BetterSqlite3 from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import type { SqliteLog } from '../../src/log/sqlite.ts';
import { hop, question, T0, until, useLogFile } from './fixtures.ts';

const file = useLogFile();
const open = file.open;

function texts(dbPath = file.path): string[] {
  const db = new BetterSqlite3(dbPath, { readonly: true });
  try {
    return (db.prepare('SELECT text FROM hops ORDER BY id').all() as { text: string }[]).map((r) => r.text);
  } finally {
    db.close();
  }
}

const record = (l: SqliteLog, from: number, to: number) => {
  for (let i = from; i < to; i++) l.recordHop(hop({ at: T0 + i, text: String(i) }));
};
const range = (from: number, to: number) => Array.from({ length: to - from }, (_, i) => String(from + i));

describe('the log under faults', () => {
  it('keeps rows queued while another connection holds the database locked, then writes each once', async () => {
    const l = open();
    await l.flush(); // opened by the worker before the lock is taken
    record(l, 0, 3);
    const locker = new BetterSqlite3(file.path);
    locker.exec('BEGIN EXCLUSIVE');
    try {
      await l.flush();
      record(l, 3, 5);
      await l.flush();
      expect(l.status()).toMatchObject({ ok: false, queued: 5, failures: 2, written: 0 });
      expect(l.status().lastError).toMatch(/SQLITE_BUSY/);
    } finally {
      locker.exec('COMMIT');
      locker.close();
    }
    await l.flush();
    expect(texts()).toEqual(range(0, 5));
    expect(l.status()).toMatchObject({ ok: true, queued: 0, failures: 2, written: 5 });
    expect(
      new BetterSqlite3(file.path, { readonly: true }).prepare('SELECT hops FROM sessions').get(),
    ).toEqual({
      hops: 5,
    });
  });

  it('retries on its own timer once the lock is released', async () => {
    const l = open({ flushMs: 20 });
    const locker = new BetterSqlite3(file.path);
    locker.exec('BEGIN EXCLUSIVE');
    record(l, 0, 4);
    await until(() => l.status().failures >= 2);
    expect(l.status()).toMatchObject({ ok: false, queued: 4 });
    locker.exec('COMMIT');
    locker.close();
    await until(() => l.status().written === 4);
    expect(texts()).toEqual(range(0, 4));
    expect(l.status().ok).toBe(true);
  });

  it('keeps rows queued while the database file is read-only, then writes each once', async () => {
    const l = open();
    record(l, 0, 2);
    await l.flush();
    // The -shm too: SQLite maps it, and a write into the mapping of an immutable file is a SIGBUS
    // (issue 15 item 15), refused before SQLite touches it (sqlite/file.ts).
    const files = [file.path, `${file.path}-wal`, `${file.path}-shm`];
    setReadOnly(files, file.dir, true);
    try {
      record(l, 2, 5);
      l.recordQuestion(question());
      await l.flush();
      await l.flush();
      expect(l.status()).toMatchObject({ ok: false, queued: 4, written: 2 });
      expect(l.status().failures).toBeGreaterThanOrEqual(2);
      // Refused before SQLite is called (sqlite/file.ts: an immutable -shm would be a SIGBUS).
      expect(l.status().lastError).toMatch(/SQLITE_(READONLY|IOERR|CANTOPEN)|EPERM|EACCES/);
    } finally {
      setReadOnly(files, file.dir, false);
    }
    await l.flush();
    expect(l.status()).toMatchObject({ ok: true, queued: 0, written: 6 });
    expect(texts()).toEqual(range(0, 5));
    const db = new BetterSqlite3(file.path, { readonly: true });
    expect(db.prepare('SELECT count(*) AS n FROM questions').get()).toEqual({ n: 1 });
    expect(db.prepare('SELECT hops FROM sessions').get()).toEqual({ hops: 5 });
    db.close();
  });

  it('starts when the directory cannot be created, queues, and writes once it can', async () => {
    // A regular file where the directory should be: mkdir fails (EEXIST/ENOTDIR), even for root.
    const blocker = join(file.dir, 'data');
    writeFileSync(blocker, 'not a directory');
    const path = join(blocker, 'log.db');
    const l = open({ path });
    await until(() => l.status().failures === 1);
    expect(l.status()).toMatchObject({ ok: false, failures: 1 });
    expect(l.status().lastError).toMatch(/ENOTDIR|EEXIST/);

    record(l, 0, 3);
    await l.flush();
    expect(l.status()).toMatchObject({ ok: false, queued: 3, failures: 2, written: 0 });

    rmSync(blocker);
    await l.flush();
    expect(l.status()).toMatchObject({ ok: true, queued: 0, failures: 2, written: 3 });
    expect(texts(path)).toEqual(range(0, 3));
  });

  it('writes what is queued on close', async () => {
    const l = open();
    record(l, 0, 3);
    await l.close();
    expect(texts()).toEqual(range(0, 3));
  });
});

/** Makes files (and their directory, so no journal can be created beside them) read-only, or undoes it. */
function setReadOnly(files: string[], directory: string, on: boolean): void {
  if (process.getuid?.() === 0) {
    for (const f of [...files, directory]) execFileSync('chattr', [on ? '+i' : '-i', f]);
    return;
  }
  for (const f of files) chmodSync(f, on ? 0o444 : 0o644);
  chmodSync(directory, on ? 0o555 : 0o755);
}
