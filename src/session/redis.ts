// The Redis session driver: every replica shares sessions, profiles, counters and the answer cache
// through one Redis. A hop costs one round trip to read (begin) and one to write (commit), each a
// single Lua script, so the lease check and the writes are atomic on the server (issue 3); a menu
// hop of a session whose state the caller still holds costs one (advance: a compare-and-set).
// It must not hang a hop: every command is bounded by the client's commandTimeout, and every failure
// surfaces as a SessionStoreError. It knows nothing of menus or what the state means.
import { createHash, randomBytes } from 'node:crypto';
import type { Redis } from 'ioredis';
import { SessionStoreError } from '../errors.ts';
import { createRedisConnection, type RedisTarget } from '../redis/connection.ts';
import type { AnswerProgress, PendingAnswer } from '../types.ts';
import { PENDING_TTL_SECONDS } from './pending.ts';
import { PENDING_SCRIPTS, type PendingCommands } from './pending-scripts.ts';
import { profileFields, profileFrom } from './profile-fields.ts';
import { readiness, writeCoalescer } from './redis-connection.ts';
import { SCRIPTS, type ScriptCommands, type ScriptReply } from './redis-scripts.ts';
import {
  type HopKey,
  type HopSnapshot,
  type HopWrite,
  type PendingClaim,
  PROFILE_CACHE_TTL_SECONDS,
  type SessionStore,
  type SessionStoreOptions,
} from './types.ts';

export type { Redis } from 'ioredis';

const DAY_COUNTER_TTL_SECONDS = 2 * 86_400;
const MINUTE_COUNTER_TTL_SECONDS = 120;

/**
 * An ioredis client tuned for a gateway that must never hang a hop, and must recover by itself
 * when Redis comes back (src/redis/connection.ts, kind `hop`). `target`: a URL or a Sentinel
 * group. `onError` sees connection errors (one per failed reconnect attempt).
 */
export function createRedisClient(
  target: RedisTarget,
  commandTimeoutMs: number,
  onError?: (err: Error) => void,
): Redis {
  return createRedisConnection(target, {
    kind: 'hop',
    name: 'ussd-ai-gateway',
    commandTimeoutMs,
    ...(onError ? { onError } : {}),
  });
}

/**
 * Sessions in Redis. The store owns `redis` from now on: close() quits it. Keys (all under
 * options.prefix): `s:<session>` hash {state, answer, v: the state's version}, `lease:<session>`,
 * `p:<phone>` hash {lang, subscribedUntil, r: '1' when filled from the records store}, `q:<phone>:<day>`, `rh:<phone>:<minute>`,
 * `rq:<phone>:<minute>`, `c:<key>`, `pa:<phone>` the pending answer (JSON).
 * The keys of one hop span several hash slots: this targets a single Redis, not Redis Cluster.
 */
export function createRedisSessionStore<S = unknown>(
  redis: Redis,
  options: SessionStoreOptions,
): SessionStore<S> {
  const { prefix, sessionTtlSeconds } = options;
  const profileTtlSeconds = options.profileTtlSeconds ?? PROFILE_CACHE_TTL_SECONDS;
  // defineCommand sends EVAL the first time per connection and EVALSHA after, so each script is
  // one round trip (two only if the script cache was flushed under a live connection).
  for (const [name, script] of Object.entries({ ...SCRIPTS, ...PENDING_SCRIPTS }))
    redis.defineCommand(name, script);
  const scripts = redis as unknown as ScriptCommands & PendingCommands;
  const pendingKey = (phoneKey: string) => `${prefix}pa:${keyPart(phoneKey)}`;
  // A lease token only has to differ from every other holder's: this store's random id and a
  // counter, instead of random bytes per hop (~3 % of a hop's CPU in the issue 7 profile).
  const storeId = randomBytes(9).toString('base64url');
  let leases = 0;
  let closed = false;
  const coalesce = writeCoalescer(redis);
  const connected = readiness(redis);
  const guard = <T>(op: string, fn: () => Promise<T>): Promise<T> => {
    if (closed) return Promise.reject(new SessionStoreError(`[redis] ${op} failed: the store is closed`));
    coalesce();
    return wrapErrors(op, fn);
  };
  /**
   * A hop's own command (begin, peek, advance, commit, release) is sent only on a ready
   * connection, never left in ioredis's offline queue to run after the hop is over: while the
   * client is (re)connecting it waits for 'ready' at most the command timeout, then fails.
   */
  const hopGuard = <T>(op: string, fn: () => Promise<T>): Promise<T> => {
    const waiting = connected();
    if (waiting === null) return guard(op, fn);
    return waiting.then(
      () => guard(op, fn),
      (cause: unknown) =>
        Promise.reject(new SessionStoreError(`[redis] ${op} failed: ${(cause as Error).message}`, { cause })),
    );
  };

  const keys = (k: HopKey) => {
    const phone = keyPart(k.phoneKey);
    const minute = String(Math.trunc(k.minute));
    return {
      lease: `${prefix}lease:${keyPart(k.sessionId)}`,
      session: `${prefix}s:${keyPart(k.sessionId)}`,
      profile: `${prefix}p:${phone}`,
      day: `${prefix}q:${phone}:${keyPart(k.day)}`,
      hopMinute: `${prefix}rh:${phone}:${minute}`,
      questionMinute: `${prefix}rq:${phone}:${minute}`,
      pending: `${prefix}pa:${phone}`,
    };
  };

  /** One begin script: reads the hop's keys, counts the hop (unless told not to), and takes the lease unless leaseMs is 0. */
  async function read(key: HopKey, leaseMs: number, countHop: boolean): Promise<HopSnapshot<S>> {
    const k = keys(key);
    const token = `${storeId}.${++leases}`;
    const hopKeys = [k.lease, k.session, k.profile, k.day, k.hopMinute, k.questionMinute, k.pending];
    const count = countHop ? 1 : 0;
    let reply: ScriptReply[];
    try {
      reply = await scripts.ussdSessionBegin(...hopKeys, token, leaseMs, MINUTE_COUNTER_TTL_SECONDS, count);
    } catch (err) {
      // It may still run: Redis may hold it (paused, stalled) or it may wait in a queue. A release
      // of its token goes after it on the same connection (ioredis keeps commands in order, the
      // offline queue included), so a lease it takes late is let go at once (issue 15).
      if (leaseMs > 0) scripts.ussdSessionRelease(k.lease, token).catch(() => {});
      throw err;
    }
    const [
      got,
      state,
      answer,
      lang,
      subscribedUntil,
      today,
      hops,
      questions,
      version,
      pending,
      recorded,
      payment,
      seen,
    ] = reply;
    const profile = profileFrom({ lang, subscribedUntil, payment, paymentSeen: seen });
    return {
      lease: got === 1 ? token : null,
      state: parseJson<S>(state, 'state'),
      version: typeof version === 'string' ? version : null,
      answer: parseJson<AnswerProgress>(answer, 'answer'),
      profile,
      profileCached: recorded === '1',
      questionsToday: toCount(today),
      hopsThisMinute: toCount(hops),
      questionsThisMinute: toCount(questions),
      pending: parseJson<PendingAnswer>(pending, 'pending answer'),
    };
  }

  return {
    begin: (key, leaseMs, options) =>
      hopGuard('begin', () => read(key, Math.max(1, Math.round(leaseMs)), options?.countHop !== false)),

    peek: (key) => hopGuard('peek', () => read(key, 0, true)),

    commit: (key, lease, write: HopWrite<S>) =>
      hopGuard('commit', async () => {
        const k = keys(key);
        const answerMode = write.answer === undefined ? 'keep' : write.answer === null ? 'clear' : 'set';
        const profileArgs = profileFields(write.profile);
        const answerJson = write.answer ? toJson(write.answer, 'answer') : '';
        const asked = write.questionAsked === 1 ? 1 : 0;
        // In the order of the script's ARGV (SCRIPTS.ussdSessionCommit).
        const argv = [lease, toJson(write.state, 'state'), answerMode, answerJson, sessionTtlSeconds];
        argv.push(
          profileTtlSeconds,
          asked,
          DAY_COUNTER_TTL_SECONDS,
          MINUTE_COUNTER_TTL_SECONDS,
          ...profileArgs,
        );
        const commitKeys = [k.lease, k.session, k.profile, k.day, k.questionMinute];
        const written = await scripts.ussdSessionCommit(...commitKeys, ...argv);
        return written === 1;
      }),

    advance: (key, version, state, hopRatePerMinute) =>
      hopGuard('advance', async () => {
        const k = keys(key);
        const next = `${storeId}.${++leases}`;
        const result = await scripts.ussdSessionAdvance(
          k.lease,
          k.session,
          k.hopMinute,
          version,
          toJson(state, 'state'),
          next,
          sessionTtlSeconds,
          MINUTE_COUNTER_TTL_SECONDS,
          Math.max(0, Math.trunc(hopRatePerMinute)),
        );
        if (result === 1) return { written: true, version: next };
        return { written: false, reason: result === -1 ? 'limited' : 'changed' };
      }),

    cacheProfile: (phoneKey, profile) =>
      hopGuard('cacheProfile', async () => {
        const fields = profileFields(profile);
        await scripts.ussdProfileCache(
          `${prefix}p:${keyPart(phoneKey)}`,
          profileTtlSeconds,
          profile === null ? 'forget' : 'fill',
          ...fields,
        );
      }),

    release: (key, lease) =>
      hopGuard('release', async () => {
        await scripts.ussdSessionRelease(keys(key).lease, lease);
      }),

    putAnswer: (sessionId, answer) =>
      guard('putAnswer', async () => {
        await scripts.ussdSessionPutAnswer(
          `${prefix}s:${keyPart(sessionId)}`,
          toJson(answer, 'answer'),
          sessionTtlSeconds,
        );
      }),

    claimPending: (phoneKey, pending, staleMs) =>
      guard('claimPending', async () => {
        const [status, other] = await scripts.ussdPendingClaim(
          pendingKey(phoneKey),
          toJson(pending, 'pending answer'),
          pending.id,
          Date.now(),
          Math.round(staleMs),
          PENDING_TTL_SECONDS,
        );
        const record = parseJson<PendingAnswer>(other ?? null, 'pending answer');
        if (status === 'behind' && record) return { status, ahead: record };
        if (status === 'blocked' && record) return { status, other: record };
        return { status: 'claimed' } satisfies PendingClaim;
      }),

    updatePending: (phoneKey, id, patch) =>
      guard('updatePending', async () =>
        parseJson<PendingAnswer>(
          await scripts.ussdPendingUpdate(pendingKey(phoneKey), id, toJson(patch, 'pending patch')),
          'pending answer',
        ),
      ),

    readPending: (phoneKey, id, how) =>
      guard('readPending', async () =>
        parseJson<PendingAnswer>(
          await scripts.ussdPendingRead(pendingKey(phoneKey), id, how),
          'pending answer',
        ),
      ),

    getPending: (phoneKey) =>
      guard('getPending', async () =>
        parseJson<PendingAnswer>(await redis.get(pendingKey(phoneKey)), 'pending answer'),
      ),

    dropPending: (phoneKey, id) =>
      guard('dropPending', async () => {
        await scripts.ussdPendingDrop(pendingKey(phoneKey), id);
      }),

    getCached: (key) => guard('getCached', () => redis.get(`${prefix}c:${keyPart(key)}`)),

    setCached: (key, value, ttlSeconds) =>
      guard('setCached', async () => {
        const ttlMs = Math.round(ttlSeconds * 1000);
        // A TTL of 0 means "do not cache" (ANSWER_CACHE_TTL_SECONDS=0); Redis would reject PX 0.
        if (ttlMs <= 0) return;
        await redis.set(`${prefix}c:${keyPart(key)}`, value, 'PX', ttlMs);
      }),

    ping: () =>
      guard('ping', async () => {
        await redis.ping();
      }),

    close: async () => {
      if (closed) return;
      closed = true;
      // After a disconnect() while reconnecting, ioredis can stay in 'reconnecting' (no socket to
      // close), so our own flag, not redis.status, makes close idempotent and later calls fail fast.
      if (redis.status === 'end') return;
      // quit waits for pending replies; when Redis is gone it times out, then we just drop the socket.
      await redis.quit().catch(() => redis.disconnect());
    },
  };
}

/**
 * The key fragment for an outside-supplied id. Ids made of `[A-Za-z0-9_.-]{1,128}` (Africa's
 * Talking's session ids are) are used as they are; anything else (`*`, `:`, spaces, control bytes,
 * 10 kB) becomes `#` + its sha256, so keys stay short, printable and pattern-free. `#` is outside
 * the safe set, so a hashed id can never equal a verbatim one.
 */
export function keyPart(id: string): string {
  return SAFE_ID.test(id) ? id : `#${createHash('sha256').update(id).digest('hex')}`;
}

const SAFE_ID = /^[A-Za-z0-9_.-]{1,128}$/;

async function wrapErrors<T>(op: string, fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    if (err instanceof SessionStoreError) throw err;
    const reason = err instanceof Error ? err.message : String(err);
    throw new SessionStoreError(`[redis] ${op} failed: ${reason}`, { cause: err });
  }
}

function toJson(value: unknown, what: string): string {
  const json = JSON.stringify(value);
  if (json === undefined) throw new SessionStoreError(`[redis] ${what} is not JSON-serialisable`);
  return json;
}

function parseJson<T>(raw: ScriptReply | undefined, what: string): T | null {
  if (typeof raw !== 'string') return null;
  try {
    return JSON.parse(raw) as T;
  } catch (err) {
    throw new SessionStoreError(`[redis] stored ${what} is not valid JSON`, { cause: err });
  }
}

function toCount(raw: ScriptReply | undefined): number {
  const n = Number(raw ?? 0);
  return Number.isFinite(n) ? n : 0;
}
