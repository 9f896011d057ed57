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
