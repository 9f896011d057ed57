// Admission control: how many run, how many wait, who goes first, who is turned away.
import { describe, expect, it } from 'vitest';
import { createLimiter, type LimiterJob } from '../../src/inference/limiter.ts';

/** A job that runs until released; records its life. */
function job(name: string, events: string[], detached = false) {
  let release: () => void = () => {};
  const j: LimiterJob & { release(): void; gone: boolean } = {
    gone: detached,
    run() {
      events.push(`run ${name}`);
      return new Promise<void>((resolve) => {
        release = resolve;
      });
    },
    detached: () => j.gone,
    drop(reason) {
      events.push(`drop ${name} ${reason}`);
    },
    release: () => release(),
  };
  return j;
}
const tick = () => new Promise((r) => setTimeout(r, 0));

describe('limiter', () => {
  it('runs up to maxConcurrent, queues up to maxQueue, refuses the rest', () => {
    const events: string[] = [];
    const l = createLimiter({ maxConcurrent: 2, maxQueue: 1 });
    expect([1, 2, 3, 4].map((i) => l.submit(job(`j${i}`, events)))).toEqual([true, true, true, false]);
    expect(events).toEqual(['run j1', 'run j2']);
    expect([l.running(), l.queued()]).toEqual([2, 1]);
  });

  it('starts the next job when a slot frees, even when the job failed', async () => {
    const events: string[] = [];
    const l = createLimiter({ maxConcurrent: 1, maxQueue: 5 });
    const failing: LimiterJob = {
      run: () => Promise.reject(new Error('x')),
      detached: () => false,
      drop() {},
    };
    l.submit(failing);
    l.submit(job('next', events));
    await tick();
    expect(events).toEqual(['run next']);
  });

  it('serves callers still on the line before detached jobs', async () => {
    const events: string[] = [];
    const l = createLimiter({ maxConcurrent: 1, maxQueue: 5 });
    const first = job('first', events);
    l.submit(first);
    l.submit(job('detached', events, true));
    l.submit(job('waiting', events));
    first.release();
    await tick();
    expect(events).toEqual(['run first', 'run waiting']);
  });

  it('a full queue evicts its oldest detached job for a new caller', () => {
    const events: string[] = [];
    const l = createLimiter({ maxConcurrent: 1, maxQueue: 2 });
    l.submit(job('running', events));
    const stale = job('stale', events);
    l.submit(stale);
    l.submit(job('waiting', events));
    expect(l.submit(job('new', events))).toBe(false); // nobody detached yet
    stale.gone = true;
    expect(l.submit(job('new', events))).toBe(true);
    expect(events).toContain('drop stale evicted');
    expect(l.queued()).toBe(2);
  });

  it('maxQueue 0 means no waiting at all', () => {
    const l = createLimiter({ maxConcurrent: 1, maxQueue: 0 });
    expect([l.submit(job('a', [])), l.submit(job('b', []))]).toEqual([true, false]);
  });

  it('remove takes a queued job out; close drops the queue and refuses new jobs', () => {
    const events: string[] = [];
    const l = createLimiter({ maxConcurrent: 1, maxQueue: 3 });
    l.submit(job('running', events));
    const leaving = job('leaving', events);
    l.submit(leaving);
    l.submit(job('queued', events));
    expect(l.remove(leaving)).toBe(true);
    expect(l.remove(leaving)).toBe(false);
    l.close();
    expect(events).toEqual(['run running', 'drop queued closed']);
    expect(l.submit(job('late', events))).toBe(false);
  });
});
