// The Redis driver against the real server at REDIS_URL (default redis://127.0.0.1:6379): the
// shared contract, then what only Redis shows: key layout under the prefix, TTLs, one command per
// begin/commit seen by the server itself (MONITOR), and behaviour when Redis is away.
// Fails, never skips, when Redis is not there.
import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { SessionStoreError } from '../../src/errors.ts';
import { createRedisClient, createRedisSessionStore, keyPart } from '../../src/session/redis.ts';
import type { SessionStore, SessionStoreOptions } from '../../src/session/types.ts';
import { closedPort, createProxy, keysOf, sleep, watchCommands } from './redis-helpers.ts';
import { describeSessionStoreContract, hopKey, type TestState } from './store-contract.ts';

const REDIS_URL = process.env['REDIS_URL'] || 'redis://127.0.0.1:6379';
let admin: Redis;

beforeAll(async () => {
  admin = new Redis(REDIS_URL, { lazyConnect: true, connectTimeout: 2_000, maxRetriesPerRequest: 0 });
  admin.on('error', () => {});
  try {
    await admin.connect();
    await admin.ping();
  } catch (err) {
    admin.disconnect();
    throw new Error(
      `Redis is required for these tests and is not reachable at ${REDIS_URL} (set REDIS_URL): ${String(err)}`,
    );
  }
});
afterAll(() => admin?.disconnect());

const freshPrefix = () => `test:${randomUUID()}:`;
const keysUnder = async (prefix: string) => (await admin.keys(`${prefix}*`)).sort();
async function dropPrefix(prefix: string) {
  const keys = await admin.keys(`${prefix}*`);
  if (keys.length > 0) await admin.del(...keys);
}

describeSessionStoreContract('redis', async (options) => {
  const prefix = freshPrefix();
  return {
    store: createRedisSessionStore<TestState>(createRedisClient(REDIS_URL, 1_000), { ...options, prefix }),
    cleanup: () => dropPrefix(prefix),
  };
});

describe('redis store: keys and TTLs', () => {
  let prefix: string;
  let store: SessionStore<TestState>;
  let client: Redis;
  const open = (options: Partial<SessionStoreOptions> = {}) => {
    prefix = freshPrefix();
    client = createRedisClient(REDIS_URL, 1_000);
    store = createRedisSessionStore(client, {
      prefix,
      sessionTtlSeconds: 300,
      ...options,
    });
  };
  afterEach(async () => {
    await store.close();
    await dropPrefix(prefix);
  });
  const s = (screen: string): TestState => ({ screen, stack: [], text: '' });

  it('one hop writes exactly these keys under the prefix, with these TTLs', async () => {
    open({ profileTtlSeconds: 86_400 });
    const key = hopKey({ day: '2025-03-14', minute: 29_000_001 });
    const snap = await store.begin(key, 4_000);
    expect(await admin.pttl(`${prefix}lease:${key.sessionId}`)).toBeGreaterThan(3_000);
    await store.commit(key, snap.lease!, { state: s('ask'), profile: { lang: 'sw' }, questionAsked: 1 });
    await store.setCached('q-hash', 'answer', 60);
    const { sessionId: sid, phoneKey: ph } = key;
    const ttls: Record<string, [number, number]> = {
      [`c:q-hash`]: [59, 60],
      [`p:${ph}`]: [86_399, 86_400],
      [`q:${ph}:2025-03-14`]: [172_799, 172_800],
      [`rh:${ph}:29000001`]: [119, 120],
      [`rq:${ph}:29000001`]: [119, 120],
      [`s:${sid}`]: [299, 300],
    };
    expect(await keysUnder(prefix)).toEqual(
      Object.keys(ttls)
        .map((k) => prefix + k)
        .sort(),
    );
    for (const [k, [min, max]] of Object.entries(ttls)) {
      const ttl = await admin.ttl(prefix + k);
      expect({ k, ttl, ok: ttl >= min && ttl <= max }).toEqual({ k, ttl, ok: true });
    }
    expect(await admin.hgetall(`${prefix}s:${sid}`)).toEqual({
      state: JSON.stringify(s('ask')),
      v: snap.lease,
    });
  });

  it('the session TTL is at least 180 s and is refreshed by every commit', async () => {
    open({ sessionTtlSeconds: 180 });
    const key = hopKey();
    let snap = await store.begin(key, 1_000);
    await store.commit(key, snap.lease!, { state: s('one') });
    await admin.pexpire(`${prefix}s:${key.sessionId}`, 5_000);
    snap = await store.begin(key, 1_000);
    await store.commit(key, snap.lease!, { state: s('two') });
    expect(await admin.pttl(`${prefix}s:${key.sessionId}`)).toBeGreaterThanOrEqual(179_000);
    await admin.pexpire(`${prefix}s:${key.sessionId}`, 5_000);
    await store.putAnswer(key.sessionId, { id: 'a', text: 'x', done: false, source: 'model' });
    expect(await admin.pttl(`${prefix}s:${key.sessionId}`)).toBeGreaterThanOrEqual(179_000);
  });

  it('hostile ids stay inside the prefix, as short printable keys (every key the server saw)', async () => {
    open();
    const watch = await watchCommands(client, REDIS_URL);
    try {
      const hostile = ['x*', '../..', 'a:b', 'a b\r\n', 'k'.repeat(10_240), '', '\u0000', '?[ab]'];
      const commands = await watch.commandsOf(async () => {
        for (const id of hostile) {
          const key = hopKey({ sessionId: id, phoneKey: id, day: id });
          const snap = await store.begin(key, 1_000);
          await store.commit(key, snap.lease!, { state: s('x'), profile: { lang: 'en' }, questionAsked: 1 });
          await store.putAnswer(id, { id: 'a', text: 'x', done: true, source: 'cache' });
          await store.setCached(id, 'v', 60);
          expect(await store.getCached(id)).toBe('v');
        }
      });
      const touched = commands.flatMap(keysOf);
      expect(touched.length).toBeGreaterThanOrEqual(hostile.length * 10);
      for (const k of [...touched, ...(await keysUnder(prefix))]) {
        expect(k).toMatch(
          /^test:[0-9a-f-]{36}:(s|p|lease|c|q|rh|rq|pa):[A-Za-z0-9_.#-]{1,128}(:[A-Za-z0-9_.#-]{1,128})?$/,
        );
      }
    } finally {
      watch.stop();
    }
  });

  it.each([
    ['ATUid_4e2f0c9a.1-x', 'ATUid_4e2f0c9a.1-x'],
    ['x*', '#'],
    ['', '#'],
    ['a:b', '#'],
    ['a'.repeat(128), 'a'.repeat(128)],
    ['a'.repeat(129), '#'],
  ])('keyPart(%j) starts with %j', (id, start) => {
    const part = keyPart(id);
    expect(part.startsWith(start)).toBe(true);
    if (part.startsWith('#')) expect(part).toMatch(/^#[0-9a-f]{64}$/);
  });
});

describe('redis store: one command per begin and per commit, as the server sees it', () => {
  it('begin and commit are each a single command (EVAL cold, EVALSHA warm)', async () => {
    const prefix = freshPrefix();
    const client = createRedisClient(REDIS_URL, 1_000);
    const store = createRedisSessionStore<TestState>(client, { prefix, sessionTtlSeconds: 300 });
    const watch = await watchCommands(client, REDIS_URL);
    const commandsOf = async (op: () => Promise<unknown>) =>
      (await watch.commandsOf(op)).map((args) => args[0]?.toLowerCase());
    try {
      const key = hopKey();
      let lease: string | null = null;
      // One command each, as the server sees it: EVAL while the script is new to this connection,
      // EVALSHA after (which of the two comes first is ioredis's business, not the contract).
      const oneScriptCall = (commands: (string | undefined)[]) => {
        expect(commands).toHaveLength(1);
        expect(['eval', 'evalsha']).toContain(commands[0]);
        return commands[0];
      };
      const hop = async () => {
        const begun = oneScriptCall(
          await commandsOf(async () => {
            lease = (await store.begin(key, 2_000)).lease;
          }),
        );
        const committed = oneScriptCall(
          await commandsOf(() => store.commit(key, lease!, { state: { screen: 'a', stack: [], text: '' } })),
        );
        return [begun, committed];
      };
      await hop();
      expect(await hop()).toEqual(['evalsha', 'evalsha']); // warm: by its sha
      expect(lease).not.toBeNull();
    } finally {
      watch.stop();
      await store.close();
      await dropPrefix(prefix);
    }
  });
});

describe('redis store: commands of one event-loop turn share one socket write', () => {
  it('ten hops beginning in the same turn cost one write to Redis, and each gets its own reply', async () => {
    const prefix = freshPrefix();
    const client = createRedisClient(REDIS_URL, 1_000);
    const store = createRedisSessionStore<TestState>(client, { prefix, sessionTtlSeconds: 300 });
    try {
      await store.ping();
      await store.begin(hopKey({ sessionId: 'warm' }), 1_000); // the script is known: EVALSHA from now on
      // Writable's implementer hooks: one call each time bytes go to the socket.
      const socket = client.stream as unknown as { _write: () => void; _writev: () => void };
      const writes = [vi.spyOn(socket, '_write'), vi.spyOn(socket, '_writev')];
      const snapshots = await Promise.all(
        Array.from({ length: 10 }, (_, i) => store.begin(hopKey({ sessionId: `same-turn-${i}` }), 1_000)),
      );
      expect(writes.reduce((n, spy) => n + spy.mock.calls.length, 0)).toBe(1);
      expect(snapshots.every((snap) => snap.lease !== null && snap.state === null)).toBe(true);
    } finally {
      await store.close();
      await dropPrefix(prefix);
    }
  });
});

describe('redis store: when Redis is away', () => {
  it('begin rejects with SessionStoreError within about commandTimeout, and no error goes unhandled', async () => {
    const port = await closedPort();
    const errors: Error[] = [];
    const client = createRedisClient(`redis://127.0.0.1:${port}`, 300, (err) => errors.push(err));
    const store = createRedisSessionStore(client, { prefix: freshPrefix(), sessionTtlSeconds: 300 });
    const started = performance.now();
    const err = await store.begin(hopKey(), 1_000).catch((e: unknown) => e);
    const elapsed = performance.now() - started;
    expect(err).toBeInstanceOf(SessionStoreError);
    expect((err as Error).message).toMatch(/^\[session\] \[redis\] begin failed: /);
    expect((err as Error).cause).toBeInstanceOf(Error);
    expect(elapsed).toBeLessThan(1_500);
    await expect(store.ping()).rejects.toBeInstanceOf(SessionStoreError);
    expect(errors.some((e) => /ECONNREFUSED/.test(String(e)))).toBe(true);
    await store.close();
  });

  it('the client keeps reconnecting, and the store serves again once Redis is back', async () => {
    const target = new URL(REDIS_URL);
    const proxy = await createProxy(Number(target.port || 6379), target.hostname);
    const viaProxy = new URL(REDIS_URL);
    viaProxy.hostname = '127.0.0.1';
    viaProxy.port = String(proxy.port);
    const client = createRedisClient(viaProxy.toString(), 300, () => {});
    const prefix = freshPrefix();
    const store = createRedisSessionStore(client, { prefix, sessionTtlSeconds: 300 });
    try {
      await store.ping();
      await proxy.stop();
      await expect(store.begin(hopKey(), 1_000)).rejects.toBeInstanceOf(SessionStoreError);
      await sleep(2_500); // several failed reconnect attempts, past the backoff cap
      await expect(store.ping()).rejects.toBeInstanceOf(SessionStoreError);
      await proxy.start();
      let ok = false;
      for (let i = 0; i < 50 && !ok; i++) {
        ok = await store.ping().then(
          () => true,
          () => false,
        );
        if (!ok) await sleep(100);
      }
      expect(ok).toBe(true);
      expect((await store.begin(hopKey(), 1_000)).lease).not.toBeNull();
    } finally {
      await store.close();
      await proxy.stop();
      await dropPrefix(prefix);
    }
  });
});
