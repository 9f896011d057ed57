// The log's queue while the disk is full (issue 15 item 9: capped in rows, 8 KB hops grew the
// process from 94 MB to 1.7 GB before the 100,000-row cap). The disk is a 256 MiB tmpfs filled to
// the last byte; phones send hops of 8 KB (a key press that long, resent), and a few ask
// questions. With LOG_QUEUE_MAX_MB=4 the process stops growing once the queue is full, whatever
// is sent after; hop rows are shed and counted (/readyz `dropped`), every question row is kept
// and written once space is freed.
import { execFileSync } from 'node:child_process';
import { closeSync, mkdirSync, mkdtempSync, openSync, readFileSync, rmSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { countRows, crashLines, type FaultGateway, settledRows, startFaultGateway } from './fault-gateway.ts';
import { createDialer, fault, until } from './support.ts';

const BIG_HOPS = 15_000;
/** RSS is read after these many (the queue long full, the heap grown to its working size) and at the end. */
const WARM = 5_000;
const QUESTIONS = 20;
const DIALERS = 8;
const CAP_MB = 4;

let gw: FaultGateway | undefined;
const undo: (() => void)[] = [];
afterEach(async () => {
  await gw?.halt();
  for (const fn of undo.splice(0).reverse()) {
    try {
      fn();
    } catch {
      // best effort
    }
  }
  await gw?.dispose();
  gw = undefined;
});

/** Resident memory of a process, MB (VmRSS). */
function rssMb(pid: number): number {
  const kb = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1];
  return Math.round(Number(kb) / 1024);
}

describe('the log queue on a full disk', () => {
  it(`${BIG_HOPS} hops of 8 KB and ${QUESTIONS} questions, LOG_QUEUE_MAX_MB=${CAP_MB}: memory bounded, no question lost`, () =>
    fault(`Log queue on a full disk (8 KB hops, cap ${CAP_MB} MB)`, async (t) => {
      const dir = mkdtempSync(join(tmpdir(), 'ussd-fault-queue-'));
      const mnt = join(dir, 'mnt');
      mkdirSync(mnt);
      execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=256m', 'tmpfs', mnt]);
      undo.push(() => execFileSync('umount', ['-l', mnt]));
      gw = await startFaultGateway(
        {
          DATABASE_PATH: join(mnt, 'ussd.db'),
          LOG_QUEUE_MAX_MB: String(CAP_MB),
          HOP_RATE_PER_MINUTE: '0',
          QUESTION_RATE_PER_MINUTE: '0',
        },
        dir,
      );
      const g = gw;
      const pid = g.child.pid as number;
      const hop = createDialer(g.url, t);
      expect((await hop({ sessionId: 'q-before', text: '' })).body).toMatch(/^CON /);
      await settledRows(g.dbPath, 1);
      const filler = join(mnt, 'filler');
      fillDisk(filler);
      undo.push(() => rmSync(filler, { force: true }));
      let warm = 0;

      const big = 'x'.repeat(7_900); // the form stays under AT's 8 KiB body limit
      let sent = 0;
      await Promise.all(
        Array.from({ length: DIALERS }, async (_, d) => {
          const dial = createDialer(g.url, t, { phoneNumber: `+2547120${String(d).padStart(5, '0')}` });
          while (sent < BIG_HOPS) {
            const i = sent++;
            if (i === WARM) warm = rssMb(pid);
            // Every 500th asks a question (8 KB too), in a session of its own. The rest are one
            // session per phone resending 8 KB of a wrong key: each a hop row of 8 KB, while the
            // session store keeps one state per phone (so what grows is the log's queue alone).
            const asks = i % (BIG_HOPS / QUESTIONS) === 0;
            const r = await dial(
              asks ? { sessionId: `q-${i}`, text: `1*${big}` } : { sessionId: `big-${d}`, text: big },
            );
            expect(r.status).toBe(200);
          }
        }),
      );
      const after = rssMb(pid);
      const { body } = await g.readyz();
      t.injected = !body.sqlite.ok && /FULL|ENOSPC|IOERR/.test(body.sqlite.detail ?? '');
      const dropped = (body.sqlite as { dropped?: number }).dropped ?? 0;
      t.note = `RSS ${warm} MB after ${WARM} hops, ${after} MB after ${t.hops}; ${dropped} rows shed`;

      rmSync(filler);
      // Every question row, once; hop rows: those not shed.
      const questions = await settledRows(g.dbPath, QUESTIONS, {
        sql: 'SELECT count(*) AS n FROM questions',
        timeoutMs: 15_000,
      });
      await until(async () => (await g.readyz()).body.sqlite.ok, 30_000, 'sqlite ok in /readyz');
      const hops = countRows(g.dbPath);
      t.rowsExpected = QUESTIONS;
      t.rowsFound = questions;
      expect(crashLines(g.output())).toEqual([]);
      expect(hops + dropped).toBeGreaterThanOrEqual(t.hops); // each hop row written or counted as shed
      t.note += `, ${hops} hop rows and ${questions}/${QUESTIONS} question rows written`;
      // ~80 MB of text sent in between: held, it would show; capped, the process stays at its size.
      expect(after - warm, 'RSS growth over the last 10,000 hops, MB').toBeLessThan(20);
    }));
});

/** Writes to `file` until the filesystem has no byte left (ENOSPC). */
function fillDisk(file: string): void {
  const fd = openSync(file, 'w');
  const chunk = Buffer.alloc(64 * 1024, 1);
  try {
    for (;;) {
      try {
        writeSync(fd, chunk);
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'ENOSPC') throw err;
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
  } finally {
    closeSync(fd);
  }
}
