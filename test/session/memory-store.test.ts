// The memory driver: the shared contract, plus what only it has (a clock to inject, a sweep timer
// that must never hold the process open).
import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { createMemorySessionStore } from '../../src/session/memory.ts';
import type { HopSnapshot } from '../../src/session/types.ts';
import { describeSessionStoreContract, hopKey, STORE_OPTIONS, type TestState } from './store-contract.ts';

describeSessionStoreContract('memory', async (options) => ({
  store: createMemorySessionStore<TestState>(options),
  cleanup: async () => {},
}));

describe('memory store: time', () => {
  function clocked() {
    let t = 1_700_000_000_000;
    const store = createMemorySessionStore<TestState>(
      { ...STORE_OPTIONS, sessionTtlSeconds: 180, profileTtlSeconds: 3600 },
      { now: () => t },
    );
    return { store, advance: (ms: number) => (t += ms) };
  }
  const s = (screen: string): TestState => ({ screen, stack: [], text: '' });

  it('a session lives sessionTtlSeconds after its last hop, refreshed by each commit', async () => {
    const { store, advance } = clocked();
    const key = hopKey();
    let snap = await store.begin(key, 1000);
    await store.commit(key, snap.lease!, { state: s('one') });
    advance(179_000);
    snap = await store.begin(key, 1000);
    expect(snap.state).toEqual(s('one'));
    await store.commit(key, snap.lease!, { state: s('two') });
    advance(179_000);
    expect((await store.begin(key, 1000)).state).toEqual(s('two'));
    advance(2_000);
    expect((await store.begin(key, 1000)).state).toBeNull();
    await store.close();
  });

  it.each([
    { what: 'lease', ttlMs: 1_000, read: (x: Snap) => x.lease !== null, before: false, after: true },
    {
      what: 'minute question counter',
      ttlMs: 120_000,
      read: (x: Snap) => x.questionsThisMinute,
      before: 1,
      after: 0,
    },
    {
      what: 'day question counter',
      ttlMs: 2 * 86_400_000,
      read: (x: Snap) => x.questionsToday,
      before: 1,
      after: 0,
    },
    {
      what: 'profile (profileTtlSeconds)',
      ttlMs: 3_600_000,
      read: (x: Snap) => x.profile.lang,
      before: 'sw',
      after: undefined,
    },
  ])('the $what lives $ttlMs ms', async ({ ttlMs, read, before, after }) => {
    const { store, advance } = clocked();
    const key = hopKey();
    const snap = await store.begin(key, 1_000);
    await store.commit(key, snap.lease!, { state: s('x'), profile: { lang: 'sw' }, questionAsked: 1 });
    await store.begin(key, 1_000);
    advance(ttlMs - 1);
    expect(read(await store.begin(key, 1_000))).toBe(before);
    advance(2);
    expect(read(await store.begin(key, 1_000))).toBe(after);
    await store.close();
  });

  it('the sweep timer does not hold the process open, even when close() is never called', () => {
    const script = `
      import { createMemorySessionStore } from './src/session/memory.ts';
      const store = createMemorySessionStore({ prefix: 'p:', sessionTtlSeconds: 180 }, { sweepIntervalMs: 10 });
      await store.setCached('k', 'v', 60);
      console.log('left open');`;
    const run = spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], {
      cwd: new URL('../..', import.meta.url).pathname,
      encoding: 'utf8',
      timeout: 15_000,
    });
    expect(run.stderr).toBe('');
    expect(run.stdout.trim()).toBe('left open');
    expect(run.status).toBe(0);
  });
});

type Snap = HopSnapshot<TestState>;

// Issue 15 item 12: the store had no bound but expiry (15,000 sessions of 7.9 KB text: 85 → 398 MB
// RSS; 16,000 cached answers: +60 MB for 24 h). Sessions and cached answers are bounded by bytes,
// the oldest written dropped first.
describe('memory store: bounded by bytes', () => {
  const big = (screen: string): TestState => ({ screen, stack: [], text: 'x'.repeat(1000) });

  it('drops the oldest sessions past maxSessionBytes, and counts what it keeps', async () => {
    const store = createMemorySessionStore<TestState>(STORE_OPTIONS, { maxSessionBytes: 20_000 });
    const keys = Array.from({ length: 40 }, () => hopKey());
    for (const key of keys) {
      const snap = await store.begin(key, 1000);
      await store.commit(key, snap.lease!, { state: big('s') });
    }
    const usage = store.usage();
    expect(usage.sessionBytes).toBeLessThanOrEqual(20_000);
    expect(usage.sessions).toBeGreaterThan(10);
    expect(usage.sessions).toBeLessThan(20);
    expect((await store.peek(keys[0]!)).state).toBeNull(); // the oldest went first
    expect((await store.peek(keys.at(-1)!)).state).toEqual(big('s'));
    await store.close();
  });

  it('a session written again is young again', async () => {
    const store = createMemorySessionStore<TestState>(STORE_OPTIONS, { maxSessionBytes: 5_000 });
    const [a, b, c, d, e] = [hopKey(), hopKey(), hopKey(), hopKey(), hopKey()];
    for (const key of [a, b, c, a, d, e]) {
      const snap = await store.begin(key!, 1000);
      await store.commit(key!, snap.lease!, { state: big(key === a ? 'a' : 'other') });
    }
    expect((await store.peek(b!)).state).toBeNull();
    expect((await store.peek(a!)).state).toEqual(big('a'));
    await store.close();
  });

  it('drops the oldest cached answers past maxCacheBytes', async () => {
    const store = createMemorySessionStore<TestState>(STORE_OPTIONS, { maxCacheBytes: 10_000 });
    for (let i = 0; i < 100; i++) await store.setCached(`answer:en:q${i}`, 'y'.repeat(500), 3600);
    expect(store.usage().cacheBytes).toBeLessThanOrEqual(10_000);
    expect(await store.getCached('answer:en:q0')).toBeNull();
    expect(await store.getCached('answer:en:q99')).toBe('y'.repeat(500));
    await store.close();
  });

  it('gives the bytes back when a session expires or is swept', async () => {
    let t = 1_700_000_000_000;
    const store = createMemorySessionStore<TestState>(STORE_OPTIONS, { now: () => t, maxSessionBytes: 1e6 });
    const key = hopKey();
    const snap = await store.begin(key, 1000);
    await store.commit(key, snap.lease!, { state: big('s') });
    expect(store.usage().sessionBytes).toBeGreaterThan(1000);
    t += 301_000;
    expect((await store.peek(key)).state).toBeNull();
    expect(store.usage()).toMatchObject({ sessions: 0, sessionBytes: 0 });
    await store.close();
  });
});
