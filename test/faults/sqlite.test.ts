// Interaction-log faults against the real server process (issue 8), each made by the kernel or by
// another process, none simulated: a directory that cannot be created (a regular file in its way),
// the database locked by another process (BEGIN EXCLUSIVE), a full disk (a small tmpfs filled to
// the last byte) and a read-only database, its -shm included (chattr +i, which binds root too;
// before issue 15 item 15 the mapped -shm made that a SIGBUS). Hops are unaffected,
// rows wait in the queue (/readyz shows them and counts the failures), and once the fault clears
// every row is written exactly once.
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import {
  closeSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  openSync,
  rmSync,
  writeFileSync,
  writeSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { PROJECT_ROOT } from '../helpers/gateway-process.ts';
import {
  crashLines,
  type FaultGateway,
  type Readiness,
  settledRows,
  startFaultGateway,
} from './fault-gateway.ts';
import { createDialer, fault, type Tally, until } from './support.ts';

let gw: FaultGateway | undefined;
const undo: (() => void)[] = [];
afterEach(async () => {
  await gw?.halt();
  for (const fn of undo.splice(0).reverse()) {
    try {
      fn();
    } catch {
      // best effort: the next step may still clean up
    }
  }
  await gw?.dispose();
  gw = undefined;
});

const fresh = () => mkdtempSync(join(tmpdir(), 'ussd-fault-sqlite-'));

/** `n` hops over n/2 sessions (first hop, then "1"), each a CON screen. */
async function walk(t: Tally, g: FaultGateway, prefix: string, n: number): Promise<void> {
  const hop = createDialer(g.url, t);
  for (let i = 0; i < n; i++) {
    const r = await hop({ sessionId: `${prefix}-${i >> 1}`, text: i % 2 === 0 ? '' : '1' });
    expect(r.body).toMatch(/^CON /);
  }
}

/** Waits until /readyz shows rows queued behind failed writes (its answer is cached ~2 s). */
async function queuedBehindFailures(g: FaultGateway): Promise<Readiness['sqlite']> {
  return until(
    async () => {
      const { body } = await g.readyz();
      return !body.sqlite.ok && body.sqlite.queued > 0 && body.sqlite.failures > 0 ? body.sqlite : null;
    },
    6_000,
    '/readyz to show queued rows and failures',
  );
}

/** After the fault: every hop's row, once. */
async function rowsAfter(t: Tally, g: FaultGateway, sqlite: Readiness['sqlite']): Promise<void> {
  t.rowsExpected = t.hops;
  t.rowsFound = await settledRows(g.dbPath, t.hops, { timeoutMs: 12_000 });
  await until(async () => (await g.readyz()).body.sqlite.ok, 6_000, 'sqlite ok in /readyz');
  expect(crashLines(g.output())).toEqual([]);
  t.note = `during: queued ${sqlite.queued}, failures ${sqlite.failures}, "${sqlite.detail?.slice(0, 60)}"`;
}

describe('SQLite faults', () => {
  it('directory cannot be created (a regular file in the way): starts, queues, writes once it can', () =>
    fault('SQLite directory cannot be created', async (t) => {
      const dir = fresh();
      const blocker = join(dir, 'data');
      writeFileSync(blocker, 'a regular file where the directory should be');
      gw = await startFaultGateway({ DATABASE_PATH: join(blocker, 'ussd.db') }, dir);
      await walk(t, gw, 'nodir', 6);
      const during = await queuedBehindFailures(gw);
      t.injected = /ENOTDIR|EEXIST/.test(during.detail ?? '');
      await walk(t, gw, 'nodir-more', 4);
      rmSync(blocker);
      await rowsAfter(t, gw, during);
    }));

  it('database locked by another process: hops unaffected, rows written when the lock goes', () =>
    fault('SQLite locked by another process', async (t) => {
      gw = await startFaultGateway();
      await walk(t, gw, 'lock-before', 2);
      await settledRows(gw.dbPath, 2);
      const locker = await holdExclusiveLock(gw.dbPath);
      undo.push(() => locker.kill('SIGKILL'));
      await walk(t, gw, 'locked', 8);
      const during = await queuedBehindFailures(gw);
      t.injected = /SQLITE_BUSY/.test(during.detail ?? '');
      await walk(t, gw, 'locked-more', 4);
      locker.stdin?.end(); // COMMIT and exit
      await new Promise((resolve) =>
        locker.exitCode === null ? locker.once('exit', resolve) : resolve(null),
      );
      expect(locker.exitCode).toBe(0);
      await rowsAfter(t, gw, during);
    }));

  it('disk full (a 2 MiB tmpfs filled up): hops unaffected, rows written once space is freed', () =>
    fault('SQLite disk full (tmpfs)', async (t) => {
      const dir = fresh();
      const mnt = join(dir, 'mnt');
      mkdirSync(mnt);
      // Needs CAP_SYS_ADMIN (root here). Without it this fails loudly rather than pretending.
      execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=2m', 'tmpfs', mnt]);
      undo.push(() => execFileSync('umount', ['-l', mnt]));
      gw = await startFaultGateway({ DATABASE_PATH: join(mnt, 'ussd.db') }, dir);
      await walk(t, gw, 'full-before', 2);
      await settledRows(gw.dbPath, 2);
      const filler = join(mnt, 'filler');
      fillDisk(filler);
      undo.push(() => rmSync(filler, { force: true }));
      await walk(t, gw, 'full', 20);
      const during = await queuedBehindFailures(gw);
      t.injected = /FULL|ENOSPC|IOERR/.test(during.detail ?? '');
      rmSync(filler);
      await rowsAfter(t, gw, during);
    }));

  it('database read-only, -shm included (chattr +i, binding root too): no SIGBUS, rows written once writable', () =>
    fault('SQLite read-only, -shm too (chattr +i)', async (t) => {
      const dir = fresh();
      const data = join(dir, 'data');
      gw = await startFaultGateway({ DATABASE_PATH: join(data, 'ussd.db') }, dir);
      await walk(t, gw, 'ro-before', 2);
      await settledRows(gw.dbPath, 2);
      // The file, its WAL, the -shm SQLite maps, and the directory (no new journal beside them);
      // root must obey +i.
      const targets = [gw.dbPath, `${gw.dbPath}-wal`, `${gw.dbPath}-shm`, data].filter((p) => existsSync(p));
      expect(targets).toContain(`${gw.dbPath}-shm`);
      let cleared = false;
      const clear = () => {
        if (cleared) return;
        cleared = true;
        execFileSync('chattr', ['-i', ...targets], { stdio: 'pipe' });
      };
      execFileSync('chattr', ['+i', ...targets]);
      undo.push(clear);
      // Written back, the -shm mapping's pages are write-protected: SQLite's next write into one
      // faults, and ext4 answers a write fault on an immutable file with SIGBUS, which kills the
      // process (issue 15 item 15: exit 135, hops lost).
      execFileSync('sync');
      await walk(t, gw, 'ro', 8).catch((err) => died(gw as FaultGateway, err));
      const during = await queuedBehindFailures(gw);
      t.injected = /READONLY|IOERR|CANTOPEN|EPERM/.test(during.detail ?? '');
      await walk(t, gw, 'ro-more', 4);
      clear();
      await rowsAfter(t, gw, during);
      expect(gw.child.signalCode, 'the gateway was killed').toBeNull();
    }));
});

/** Rethrows a failed hop as what became of the gateway (a SIGBUS shows as signal SIGBUS, exit 135). */
async function died(g: FaultGateway, err: unknown): Promise<never> {
  await until(() => g.child.exitCode !== null || g.child.signalCode !== null, 2_000).catch(() => {});
  const how =
    g.child.signalCode ?? (g.child.exitCode === null ? 'still running' : `exit ${g.child.exitCode}`);
  throw new Error(`hop failed; the gateway: ${how}`, { cause: err });
}

/** Another process takes the write lock (BEGIN EXCLUSIVE) and holds it until its stdin closes. */
async function holdExclusiveLock(dbPath: string): Promise<ChildProcess> {
  const script = `
    const Database = require('better-sqlite3');
    const db = new Database(process.argv[1]);
    db.exec('BEGIN EXCLUSIVE');
    process.stdout.write('locked\\n');
    const stop = setTimeout(() => process.exit(3), 30000);
    process.stdin.on('data', () => {});
    process.stdin.on('end', () => { db.exec('COMMIT'); db.close(); clearTimeout(stop); process.exit(0); });
  `;
  const child = spawn(process.execPath, ['-e', script, dbPath], {
    cwd: PROJECT_ROOT,
    stdio: ['pipe', 'pipe', 'inherit'],
  });
  await new Promise<void>((resolve, reject) => {
    let out = '';
    child.stdout?.on('data', (d: Buffer) => {
      out += d.toString();
      if (out.includes('locked')) resolve();
    });
    child.once('exit', (code) => reject(new Error(`locker exited with ${code} before locking`)));
  });
  return child;
}

/** Writes to `file` until the filesystem has no byte left (ENOSPC). */
function fillDisk(file: string): void {
  const fd = openSync(file, 'w');
  const chunk = Buffer.alloc(64 * 1024, 1);
  try {
    for (let i = 0; i < 10_000; i++) {
      try {
        writeSync(fd, chunk);
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'ENOSPC') throw err;
        // The last partial chunk: fill what is left byte-wise in smaller pieces.
        for (let size = 32 * 1024; size >= 1; size >>= 1) {
          try {
            for (;;) writeSync(fd, chunk.subarray(0, size));
          } catch {
            // this size no longer fits; try a smaller one
          }
        }
        return;
      }
    }
    throw new Error('the filesystem never filled up');
  } finally {
    closeSync(fd);
  }
}
