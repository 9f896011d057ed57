// The JobQueue contract (src/queue/types.ts), one suite run against every driver, as
// test/session/store-contract.ts does for sessions: the in-process queue and BullMQ on the real
// Redis. A driver file calls describeJobQueueContract with a factory of fresh, isolated queues.
import { afterEach, describe, expect, it } from 'vitest';
import { type JobQueue, PermanentJobError } from '../../src/queue/types.ts';

export interface QueueHarness {
  /** A new queue handle on the same jobs (another replica, with the Redis driver). */
  open(): JobQueue<{ n: number }, { doubled: number }>;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function until(check: () => boolean | Promise<boolean>, ms = 10_000, what = 'condition') {
  const end = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await sleep(20);
  }
}

export function describeJobQueueContract(name: string, makeHarness: () => Promise<QueueHarness>): void {
  describe(`JobQueue contract: ${name}`, () => {
    const opened: JobQueue<{ n: number }, { doubled: number }>[] = [];
    const open = async () => {
      const harness = await makeHarness();
      return () => {
        const q = harness.open();
        opened.push(q);
        return q;
      };
    };
    afterEach(async () => {
      await Promise.all(opened.splice(0).map((q) => q.close()));
    });

    it('works every job once, in the order added, and tells every listener', async () => {
      const q = (await open())();
      const seen: number[] = [];
      const completed = new Map<string, number>();
      q.onCompleted((id, r) => completed.set(id, r.doubled));
      q.process(async (job) => {
        seen.push(job.data.n);
        return { doubled: job.data.n * 2 };
      }, 1);
      for (let n = 1; n <= 5; n++) await q.add(`job-${n}`, { n });
      await until(() => completed.size === 5, 10_000, 'five completions');
      expect(seen).toEqual([1, 2, 3, 4, 5]);
      expect(completed.get('job-3')).toBe(6);
    });

    it('ignores a second add of an id it keeps, before and after the first is done', async () => {
      const q = (await open())();
      const runs: string[] = [];
      q.process(async (job) => {
        runs.push(job.id);
        return { doubled: 0 };
      }, 2);
      await q.add('same', { n: 1 });
      await q.add('same', { n: 2 });
      await until(() => runs.length === 1, 5000, 'the first run');
      await sleep(100);
      await q.add('same', { n: 3 });
      await sleep(300);
      expect(runs).toEqual(['same']);
    });

    it('never runs more jobs at once than its global concurrency, across handles', async () => {
      const make = await open();
      const a = make();
      const b = make();
      await a.setGlobalConcurrency(2);
      let now = 0;
      let peak = 0;
      let done = 0;
      const work = async () => {
        now += 1;
        peak = Math.max(peak, now);
        await sleep(60);
        now -= 1;
        done += 1;
        return { doubled: 0 };
      };
      a.process(work, 2);
      b.process(work, 2);
      for (let n = 0; n < 10; n++) await a.add(`c-${n}`, { n });
      await until(() => done === 10, 15_000, 'ten jobs');
      expect(peak).toBeLessThanOrEqual(2);
      expect(await a.counts()).toEqual({ waiting: 0, active: 0 });
    });

    it('retries a failing job with backoff, counting attempts, and stops at a permanent failure', async () => {
      const q = (await open())();
      const attempts: number[] = [];
      const permanent: number[] = [];
      q.process(async (job) => {
        if (job.data.n === 1) {
          attempts.push(job.attempt);
          if (job.attempt < 2) throw new Error('try again');
          return { doubled: 2 };
        }
        permanent.push(job.attempt);
        throw new PermanentJobError('no');
      }, 1);
      await q.add('flaky', { n: 1 }, { attempts: 5, backoffMs: 50 });
      await q.add('hopeless', { n: 2 }, { attempts: 5, backoffMs: 50 });
      await until(() => attempts.length === 3, 10_000, 'three attempts');
      await sleep(400);
      expect(attempts).toEqual([0, 1, 2]);
      expect(permanent).toEqual([0]);
    });

    it('reports progress to listeners of every handle', async () => {
      const make = await open();
      const worker = make();
      const other = make();
      const heard: unknown[] = [];
      other.onProgress((id, data) => {
        if (id === 'p-1') heard.push(data);
      });
      await sleep(200); // the other handle's event reader is listening
      worker.process(async (job) => {
        await job.progress({ step: 1 });
        await job.progress({ step: 2 });
        return { doubled: 0 };
      }, 1);
      await worker.add('p-1', { n: 1 });
      await until(() => heard.length === 2, 5000, 'two progress events');
      expect(heard).toEqual([{ step: 1 }, { step: 2 }]);
    });

    it('holds a delayed job until any handle promotes it, or until its time', async () => {
      const opener = await open();
      const q = opener();
      const other = opener();
      const done = new Set<string>();
      q.onCompleted((id) => done.add(id));
      q.process(async (job) => ({ doubled: job.data.n * 2 }), 2);
      await q.add('held', { n: 1 }, { delayMs: 60_000 });
      await q.add('timed', { n: 2 }, { delayMs: 300 });
      await until(() => done.has('timed'), 5000, 'the job whose time came');
      expect(done.has('held')).toBe(false);
      expect(await q.counts()).toEqual({ waiting: 1, active: 0 });
      await other.promote('held');
      await until(() => done.has('held'), 5000, 'the promoted job');
      // Not held (done, unknown): nothing happens.
      await other.promote('held');
      await other.promote('never-added');
      expect(await q.counts()).toEqual({ waiting: 0, active: 0 });
    });

    it('counts waiting and running jobs', async () => {
      const q = (await open())();
      let release = () => {};
      const gate = new Promise<void>((r) => {
        release = r;
      });
      q.process(async () => {
        await gate;
        return { doubled: 0 };
      }, 1);
      await q.add('w-1', { n: 1 });
      await q.add('w-2', { n: 2 });
      await q.add('w-3', { n: 3 });
      await until(async () => (await q.counts()).active === 1, 5000, 'one running');
      expect(await q.counts()).toEqual({ waiting: 2, active: 1 });
      release();
      await until(async () => (await q.counts()).waiting === 0, 5000, 'drained');
    });
  });
}
