// A disk that stops answering (issue 15 item 8: a filesystem frozen for 8 s under load made a hop
// hang 7.9 s and fail, and 8 other requests with it). The stall is real: the gateway's log lives on
// an ext4 image mounted through a loop device, and `fsfreeze --freeze` makes the kernel hold every
// write to it (a write(2), a fault on a mapped page) until `fsfreeze --unfreeze`, as a snapshot,
// a dying disk or a stalled network volume does. (A tmpfs cannot be frozen; a lock held by another
// process is refused after the busy timeout, not waited on for seconds; SIGSTOP stops processes,
// not a thread.) Phones dial throughout; every hop must be answered from memory within the
// deadline, a language change meanwhile is told to dial again (never that it was saved), and once
// the disk answers again every row is written exactly once.
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { crashLines, type FaultGateway, queryRows, settledRows, startFaultGateway } from './fault-gateway.ts';
import { createDialer, fault, SCREENS, startingWith, type Tally, until } from './support.ts';

/** Long enough to pass several hop deadlines (1.5 s in this suite), short enough for the suite. */
const FREEZE_MS = 5_000;
const DIALERS = 4;
let phones = 0;

let gw: FaultGateway | undefined;
/** Run in this order after each test: unfreeze, stop the gateway, unmount (then the dir goes). */
const thaw: (() => void)[] = [];
const unmount: (() => void)[] = [];
afterEach(async () => {
  // Nothing, this process included, may touch the mount while it is frozen.
  for (const fn of thaw.splice(0)) attempt(fn);
  await gw?.halt();
  for (const fn of unmount.splice(0)) attempt(fn);
  await gw?.dispose();
  gw = undefined;
});

function attempt(fn: () => void): void {
  try {
    fn();
  } catch {
    // best effort: the next step may still clean up
  }
}

/** An ext4 filesystem on a loop device under `dir` (needs root, as the tmpfs fault does). */
function mountExt4(dir: string): string {
  const image = join(dir, 'disk.img');
  const mnt = join(dir, 'mnt');
  mkdirSync(mnt);
  execFileSync('truncate', ['-s', '64M', image]);
  execFileSync('mkfs.ext4', ['-q', '-F', image]);
  execFileSync('mount', ['-o', 'loop', image, mnt]);
  unmount.push(() => execFileSync('umount', [mnt]));
  return mnt;
}

/** Dials menu hops (a first hop, then "1") in a loop until `stop()` says so. */
async function dialUntil(t: Tally, g: FaultGateway, prefix: string, stop: () => boolean): Promise<void> {
  // A phone per dialer, each under the suite's hop rate.
  const hop = createDialer(g.url, t, { phoneNumber: `+2547110${String(++phones).padStart(5, '0')}` });
  for (let i = 0; !stop(); i++) {
    const r = await hop({ sessionId: `${prefix}-${i >> 1}`, text: i % 2 === 0 ? '' : '1' });
    expect(r.body).toMatch(/^CON /);
  }
}

describe('a disk that stops answering', () => {
  it(`filesystem frozen for ${FREEZE_MS / 1000} s under load: every hop in time, every row once after`, () =>
    fault(`SQLite disk frozen ${FREEZE_MS / 1000} s (fsfreeze)`, async (t) => {
      const dir = mkdtempSync(join(tmpdir(), 'ussd-fault-freeze-'));
      const mnt = mountExt4(dir);
      gw = await startFaultGateway({ DATABASE_PATH: join(mnt, 'ussd.db'), HOP_RATE_PER_MINUTE: '0' }, dir);
      const g = gw;
      await dialUntil(t, g, 'before', () => t.hops >= 10);
      await settledRows(g.dbPath, t.hops);

      let frozen = false;
      const unfreeze = () => {
        if (!frozen) return;
        frozen = false;
        execFileSync('fsfreeze', ['--unfreeze', mnt]);
      };
      execFileSync('fsfreeze', ['--freeze', mnt]);
      frozen = true;
      thaw.push(unfreeze);
      const frozenAt = Date.now();
      const hopsBefore = t.hops;
      // Thawed on a timer, whatever the gateway and the dialers are doing.
      const thawed = new Promise<void>((resolve) =>
        setTimeout(() => {
          attempt(unfreeze);
          resolve();
        }, FREEZE_MS),
      );
      const dialing = Array.from({ length: DIALERS }, (_, d) =>
        dialUntil(t, g, `frozen-${d}`, () => Date.now() - frozenAt > FREEZE_MS),
      );
      // A phone that changes its language meanwhile is told to dial again, never that it was saved.
      const chooser = createDialer(g.url, t, { phoneNumber: '+254711099999' });
      const choose = (text: string) => chooser({ sessionId: 'frozen-language', text });
      for (const text of ['', '2', '2*1']) expect((await choose(text)).body).toMatch(/^CON /);
      const unsaved = (await choose('2*1*2')).body;
      // The writer is stuck: rows queue, nothing is written, /readyz says so.
      const stuck = await until(
        async () => {
          const { body } = await g.readyz();
          return !body.sqlite.ok && body.sqlite.queued > 0 ? body.sqlite : null;
        },
        FREEZE_MS - 500,
        '/readyz to show the writer stuck',
      ).catch((err: Error) => ({ queued: -1, detail: err.message }));
      await Promise.all([...dialing, thawed]);
      const during = t.hops - hopsBefore;
      t.injected = /no answer from the disk/.test(stuck.detail ?? '');
      expect(unsaved).toBe(SCREENS.error);
      t.rowsExpected = t.hops;
      t.rowsFound = await settledRows(g.dbPath, t.hops, { timeoutMs: 15_000 });
      // The write was not done by its deadline; it may still have landed, if its COMMIT was what the
      // freeze held (records/sqlite.ts). Either way the phone's next session shows what the records
      // store holds: the cache was dropped, not left to disagree.
      const recorded = queryRows<{ lang: string }>(g.dbPath, 'SELECT lang FROM phones').map((r) => r.lang);
      const next = (await chooser({ sessionId: 'after-language', text: '' })).body;
      expect(next).toMatch(recorded.includes('sw') ? /^CON Karibu Ask/ : startingWith(SCREENS.main));
      await until(async () => (await g.readyz()).body.sqlite.ok, 6_000, 'sqlite ok in /readyz');
      expect(crashLines(g.output())).toEqual([]);
      t.note = `${during} hops while frozen (max ${t.maxMs} ms), a language change told to dial again (${recorded.length > 0 ? 'its write landed after the thaw' : 'not saved'}); /readyz then: queued ${stuck.queued}, "${stuck.detail}"`;
    }));
});
