// The in-process session driver: the embedded default when REDIS_URL is unset (one process only,
// lost on restart). Same semantics as redis.ts, key for key: leases that run out, TTLs, counters by
// day and minute. Values are kept as JSON text, exactly as Redis keeps them, so a caller can never
// mutate stored state and a state that would not survive Redis does not survive here either.
// It must not hold the process open: expiry is checked on read, and the sweep timer is unref()ed.
import { randomBytes } from 'node:crypto';
import { SessionStoreError } from '../errors.ts';
import type { AnswerProgress, PendingAnswer, PhoneProfile } from '../types.ts';
import { claimed, dropped, entryOf, markedRead, PENDING_TTL_SECONDS, patched } from './pending.ts';
import { createTtlMap } from './ttl-map.ts';
import {
  type BeginOptions,
  type HopKey,
  type HopSnapshot,
  PROFILE_CACHE_TTL_SECONDS,
  type SessionStore,
  type SessionStoreOptions,
} from './types.ts';

const DAY_COUNTER_TTL_MS = 2 * 86_400_000;
const MINUTE_COUNTER_TTL_MS = 120_000;
const DEFAULT_SWEEP_INTERVAL_MS = 30_000;

export interface MemorySessionStoreTuning {
  /** The clock (epoch ms); tests pass a fake one. */
  now?: () => number;
  /** How often expired entries are dropped; expiry is exact anyway (checked on read). */
  sweepIntervalMs?: number;
  /** Sessions kept, in estimated bytes; past it the oldest written are dropped (issue 15). */
  maxSessionBytes?: number;
  /** Cached answers kept, in estimated bytes; past it the oldest written are dropped. */
  maxCacheBytes?: number;
}

/** Defaults of the bounds: MEMORY_STORE_MAX_MB's default (48) split three to one, as main.ts does. */
export const DEFAULT_SESSION_BYTES = 36 * 1024 * 1024;
export const DEFAULT_CACHE_BYTES = 12 * 1024 * 1024;
/** A Map entry, its record and the strings' headers, beyond the characters (measured, issue 15). */
const ENTRY_OVERHEAD_BYTES = 200;

export type MemorySessionStore<S> = SessionStore<S> & {
  /** What the bounded maps hold: entries and estimated bytes. */
  usage(): { sessions: number; sessionBytes: number; cached: number; cacheBytes: number };
};

/** One process's sessions, kept in Maps. */
export function createMemorySessionStore<S = unknown>(
  options: SessionStoreOptions,
  tuning: MemorySessionStoreTuning = {},
): MemorySessionStore<S> {
  const now = tuning.now ?? Date.now;
  const sessionTtlMs = options.sessionTtlSeconds * 1000;
  const profileTtlMs = (options.profileTtlSeconds ?? PROFILE_CACHE_TTL_SECONDS) * 1000;

  const sessions = createTtlMap<{ state?: string; answer?: string; v?: string }>(now, {
    maxBytes: tuning.maxSessionBytes ?? DEFAULT_SESSION_BYTES,
    sizeOf: (key, s) =>
      ENTRY_OVERHEAD_BYTES +
      key.length +
      (s.state?.length ?? 0) +
      (s.answer?.length ?? 0) +
      (s.v?.length ?? 0),
  });
  const leases = createTtlMap<string>(now);
  /** `r`: filled from the records store (types.ts). */
  const profiles = createTtlMap<PhoneProfile & { r?: true }>(now);
  const counters = createTtlMap<number>(now);
  const cache = createTtlMap<string>(now, {
    maxBytes: tuning.maxCacheBytes ?? DEFAULT_CACHE_BYTES,
    sizeOf: (key, value) => ENTRY_OVERHEAD_BYTES + key.length + value.length,
  });
  // Pending answers: one per phone, bounded as the cache is.
  const pendings = createTtlMap<string>(now, {
    maxBytes: tuning.maxCacheBytes ?? DEFAULT_CACHE_BYTES,
    sizeOf: (key, value) => ENTRY_OVERHEAD_BYTES + key.length + value.length,
  });
  const maps = [sessions, leases, profiles, counters, cache, pendings];
  const pendingOf = (phoneKey: string) => parse<PendingAnswer>(pendings.get(phoneKey));
  /** Rewrites a pending answer, keeping its expiry as Redis's KEEPTTL does. */
  const rewrite = (phoneKey: string, p: PendingAnswer) =>
    pendings.replace(phoneKey, toJson(p, 'pending answer'));

  const sweep = setInterval(() => {
    for (const map of maps) map.sweep();
  }, tuning.sweepIntervalMs ?? DEFAULT_SWEEP_INTERVAL_MS);
  sweep.unref();
  let closed = false;

  const live = (op: string) => {
    if (closed) throw new SessionStoreError(`[memory] ${op} failed: the store is closed`);
  };
  const increment = (key: string, ttlMs: number) => {
    const n = (counters.get(key) ?? 0) + 1;
    counters.set(key, n, ttlMs);
    return n;
  };
  const ours = (sessionId: string, lease: string) => leases.get(sessionId) === lease;
  const storeId = randomBytes(9).toString('base64url');
  let versions = 0;

  /** Reads a hop's data and counts the hop unless told not to; takes the lease unless leaseMs is 0. */
  const read = (key: HopKey, leaseMs: number, countHop: boolean): HopSnapshot<S> => {
    const token = randomBytes(12).toString('base64url');
    const got = leaseMs > 0 && leases.get(key.sessionId) === undefined;
    if (got) leases.set(key.sessionId, token, leaseMs);
    const session = sessions.get(key.sessionId);
    const stored = profiles.get(key.phoneKey);
    const { r: _filled, ...cached } = stored ?? {};
    const profile: PhoneProfile = copyProfile(cached);
    const hopCounter = `rh:${key.phoneKey}:${minuteOf(key)}`;
    return {
      lease: got ? token : null,
      state: parse<S>(session?.state),
      version: session?.v ?? null,
      answer: parse<AnswerProgress>(session?.answer),
      profile,
      profileCached: stored?.r === true,
      questionsToday: counters.get(`q:${key.phoneKey}:${key.day}`) ?? 0,
      hopsThisMinute: countHop
        ? increment(hopCounter, MINUTE_COUNTER_TTL_MS)
        : (counters.get(hopCounter) ?? 0),
      questionsThisMinute: counters.get(`rq:${key.phoneKey}:${minuteOf(key)}`) ?? 0,
      pending: pendingOf(key.phoneKey),
    };
  };

  return {
    async begin(key: HopKey, leaseMs: number, options?: BeginOptions): Promise<HopSnapshot<S>> {
      live('begin');
      return read(key, Math.max(1, Math.round(leaseMs)), options?.countHop !== false);
    },

    async peek(key: HopKey): Promise<HopSnapshot<S>> {
      live('peek');
      return read(key, 0, true);
    },

    async commit(key, lease, write) {
      live('commit');
      if (!ours(key.sessionId, lease)) return false;
      const session = { ...sessions.get(key.sessionId), state: toJson(write.state, 'state'), v: lease };
      if (write.answer === null) delete session.answer;
      else if (write.answer !== undefined) session.answer = toJson(write.answer, 'answer');
      sessions.set(key.sessionId, session, sessionTtlMs);
      const fields = copyProfile(write.profile ?? {});
      if (Object.keys(fields).length > 0) {
        profiles.set(key.phoneKey, { ...profiles.get(key.phoneKey), ...fields }, profileTtlMs);
      }
      if (write.questionAsked === 1) {
        increment(`q:${key.phoneKey}:${key.day}`, DAY_COUNTER_TTL_MS);
        increment(`rq:${key.phoneKey}:${minuteOf(key)}`, MINUTE_COUNTER_TTL_MS);
      }
      leases.delete(key.sessionId);
      return true;
    },

    async advance(key, version, state, hopRatePerMinute) {
      live('advance');
      const session = sessions.get(key.sessionId);
      const unchanged = version === '' ? session === undefined : session?.v === version;
      if (leases.get(key.sessionId) !== undefined || !unchanged) return { written: false, reason: 'changed' };
      const hops = increment(`rh:${key.phoneKey}:${minuteOf(key)}`, MINUTE_COUNTER_TTL_MS);
      if (hopRatePerMinute > 0 && hops > hopRatePerMinute) return { written: false, reason: 'limited' };
      const next = `${storeId}.${++versions}`;
      sessions.set(key.sessionId, { ...session, state: toJson(state, 'state'), v: next }, sessionTtlMs);
      return { written: true, version: next };
    },

    async cacheProfile(phoneKey, profile) {
      live('cacheProfile');
      if (profile === null) {
        profiles.delete(phoneKey);
        return;
      }
      profiles.set(phoneKey, { ...copyProfile(profile), r: true }, profileTtlMs);
    },

    async release(key, lease) {
      live('release');
      if (ours(key.sessionId, lease)) leases.delete(key.sessionId);
    },

    async putAnswer(sessionId, answer) {
      live('putAnswer');
      const session = { ...sessions.get(sessionId), answer: toJson(answer, 'answer') };
      sessions.set(sessionId, session, sessionTtlMs);
    },

    async claimPending(phoneKey, pending, staleMs) {
      live('claimPending');
      const { claim, record } = claimed(pendingOf(phoneKey), pending, now(), staleMs);
      if (record) pendings.set(phoneKey, toJson(record, 'pending answer'), PENDING_TTL_SECONDS * 1000);
      return claim;
    },

    async updatePending(phoneKey, id, patch) {
      live('updatePending');
      const next = patched(pendingOf(phoneKey), id, patch);
      if (next) rewrite(phoneKey, next);
      return entryOf(next, id);
    },

    async readPending(phoneKey, id, how) {
      live('readPending');
      const before = pendingOf(phoneKey);
      const next = markedRead(before, id, how);
      if (!next) return null;
      rewrite(phoneKey, next);
      return entryOf(before, id);
    },

    async getPending(phoneKey) {
      live('getPending');
      return pendingOf(phoneKey);
    },

    async dropPending(phoneKey, id) {
      live('dropPending');
      const before = pendingOf(phoneKey);
      const after = dropped(before, id);
      if (after === before) return;
      if (after) rewrite(phoneKey, after);
      else pendings.delete(phoneKey);
    },

    async getCached(key) {
      live('getCached');
      return cache.get(key) ?? null;
    },

    async setCached(key, value, ttlSeconds) {
      live('setCached');
      const ttlMs = Math.round(ttlSeconds * 1000);
      if (ttlMs > 0) cache.set(key, value, ttlMs);
    },

    async ping() {
      live('ping');
    },

    usage() {
      const s = sessions.usage();
      const c = cache.usage();
      return { sessions: s.entries, sessionBytes: s.bytes, cached: c.entries, cacheBytes: c.bytes };
    },

    async close() {
      closed = true;
      clearInterval(sweep);
      for (const map of maps) map.clear();
    },
  };
}

function minuteOf(key: HopKey): string {
  return String(Math.trunc(key.minute));
}

function toJson(value: unknown, what: string): string {
  const json = JSON.stringify(value);
  if (json === undefined) throw new SessionStoreError(`[memory] ${what} is not JSON-serialisable`);
  return json;
}

function parse<T>(json: string | undefined): T | null {
  return json === undefined ? null : (JSON.parse(json) as T);
}

/** A copy of the profile's own fields (no object shared with the caller, as Redis shares none). */
function copyProfile(p: PhoneProfile): PhoneProfile {
  const copy: PhoneProfile = {};
  if (p.lang !== undefined) copy.lang = p.lang;
  if (p.subscribedUntil !== undefined) copy.subscribedUntil = p.subscribedUntil;
  if (p.payment !== undefined) copy.payment = { ...p.payment };
  if (p.paymentSeen !== undefined) copy.paymentSeen = p.paymentSeen;
  return copy;
}
