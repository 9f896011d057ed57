// The session boundary: where a hop's state lives between keypresses. Two drivers: redis.ts
// (shared by every replica) and memory.ts (one process only; the default without REDIS_URL).
// A hop costs one read (begin) and one write (commit) round trip (issue 3); a hop that only moves
// through menus of a session this process served last costs one (advance, issue 7).
// A phone's profile here is a cache of the records store (src/records/, the system of record):
// begin and peek say whether it was filled from there (profileCached); a miss is read from the
// records store and filled (cacheProfile), an empty profile too (hop/profile.ts).
import type { AnswerProgress, Delivery, PendingAnswer, PhoneProfile } from '../types.ts';

/** Identifies one hop's keys. `phoneKey` is the keyed hash of the phone number, never the number. */
export interface HopKey {
  sessionId: string;
  phoneKey: string;
  /** Local calendar day of the hop, `YYYY-MM-DD`: the daily question quota's bucket. */
  day: string;
  /** Minutes since the epoch: the per-phone rate limit's bucket. */
  minute: number;
}

/** Everything a hop needs, read in one round trip. */
export interface HopSnapshot<S> {
  /**
   * Our lease on the session, or null when another hop of the same session holds it (AT resent a
   * hop while the first is still running). The holder's commit releases it.
   */
  lease: string | null;
  state: S | null;
  /** Changes with every write of the state: advance() writes only over the version it was given. */
  version: string | null;
  /** The answer being generated or shown in this session, as far as it has got. */
  answer: AnswerProgress | null;
  /** The phone's profile as cached; only what commits wrote when not profileCached. */
  profile: PhoneProfile;
  /** Whether the profile was filled from the records store (and is all of it); false: a miss. */
  profileCached: boolean;
  /** Questions this phone asked on `day`. */
  questionsToday: number;
  /** Hops of this phone in `minute`, this hop included (counted once, whatever the reads). */
  hopsThisMinute: number;
  /** Questions of this phone in `minute` (not counting this hop). */
  questionsThisMinute: number;
  /** The phone's question waiting for its answer, or its answer waiting to be read. */
  pending: PendingAnswer | null;
}

/** What may change on a pending answer after it was claimed. */
export type PendingPatch = Partial<Pick<PendingAnswer, 'sms' | 'hungUp' | 'answer' | 'etaAt'>>;

/**
 * A new question against the phone's pending ones: it runs now; it waits behind `ahead`, the
 * phone's unanswered question; or two are waiting already (`other`, the second) and it is refused.
 */
export type PendingClaim =
  | { status: 'claimed' }
  | { status: 'behind'; ahead: PendingAnswer }
  | { status: 'blocked'; other: PendingAnswer };

export type Advanced = { written: true; version: string } | { written: false; reason: 'changed' | 'limited' };

/** What a hop writes back, in one round trip. */
export interface HopWrite<S> {
  state: S;
  /** Fields to set on the phone's cached profile, once the records store has them. */
  profile?: PhoneProfile;
  /** 1 when this hop asked a question: counts towards today's quota and this minute's rate. */
  questionAsked?: 0 | 1;
  /** Replace (or with null, clear) the session's answer: a new question starts a fresh one. */
  answer?: AnswerProgress | null;
}

/** How a begin counts towards the phone's hop rate. */
export interface BeginOptions {
  /**
   * False when this hop was counted already: a poll while another hop holds the lease, or the
   * full way after a peek. A hop counts once however many reads it takes (issue 15). Default true.
   */
  countHop?: boolean;
}

export interface SessionStore<S = unknown> {
  /** Reads the session, its answer, the phone's profile and counters, and takes the lease. */
  begin(key: HopKey, leaseMs: number, options?: BeginOptions): Promise<HopSnapshot<S>>;
  /**
   * Writes the hop's result and releases the lease, only if `lease` is still ours (a lease that
   * ran out may have passed to another hop). Returns false when it was not written. The state's
   * version becomes the lease.
   */
  commit(key: HopKey, lease: string, write: HopWrite<S>): Promise<boolean>;
  /** Reads as begin does (and counts the hop), without taking the lease: `lease` is null. */
  peek(key: HopKey): Promise<HopSnapshot<S>>;
  /**
   * Writes `state` in one round trip, without a lease: only if no hop holds the session's lease
   * and its state is still at `version`, '' meaning never written (else 'changed': the caller
   * takes the begin/commit way).
   * Counts the hop in the phone's minute, as begin does, and refuses with 'limited' past
   * `hopRatePerMinute` (0: no limit). Touches nothing else: no answer, profile or question count.
   */
  advance(key: HopKey, version: string, state: S, hopRatePerMinute: number): Promise<Advanced>;
  /**
   * Replaces the phone's cached profile with what the records store holds (an empty profile is
   * cached too), or with null forgets it, so the next hop reads the records store again.
   */
  cacheProfile(phoneKey: string, profile: PhoneProfile | null): Promise<void>;
  /** Releases the lease without writing (the hop failed). */
  release(key: HopKey, lease: string): Promise<void>;
  /** Stores the answer so far; called by background generation as tokens arrive. */
  putAnswer(sessionId: string, answer: AnswerProgress): Promise<void>;
  /**
   * Makes `pending` the phone's pending question (claimed) unless another of its questions is
   * still waiting for its answer (asked less than `staleMs` ago): then `pending` waits behind it
   * (behind), or, when one waits behind it already, nothing changes (blocked). Questions over
   * (answered, read or stale) are replaced. Rules: pending.ts.
   */
  claimPending(phoneKey: string, pending: PendingAnswer, staleMs: number): Promise<PendingClaim>;
  /** Merges `patch` into the phone's pending question `id`; that question after, or null if none. */
  updatePending(phoneKey: string, id: string, patch: PendingPatch): Promise<PendingAnswer | null>;
  /**
   * Marks the pending answer `id` as read, `how`; returns the question if this call marked it
   * (the first to), else null: so a delivery is recorded once.
   */
  readPending(phoneKey: string, id: string, how: Delivery): Promise<PendingAnswer | null>;
  /** The phone's first pending question, the one waiting behind it in its `next`. */
  getPending(phoneKey: string): Promise<PendingAnswer | null>;
  /** Forgets the pending question `id` (it was never queued); the one behind the first moves up. */
  dropPending(phoneKey: string, id: string): Promise<void>;
  /** A small shared cache (answers to repeated questions). */
  getCached(key: string): Promise<string | null>;
  setCached(key: string, value: string, ttlSeconds: number): Promise<void>;
  /** Throws when the store cannot serve (for /readyz). */
  ping(): Promise<void>;
  close(): Promise<void>;
}

/** A cached profile's default lifetime (SessionStoreOptions.profileTtlSeconds). */
export const PROFILE_CACHE_TTL_SECONDS = 86_400;

export interface SessionStoreOptions {
  /** Every key starts with this, so several gateways can share one Redis. */
  prefix: string;
  /** Seconds a session lives after its last hop (≥ 180, AT's session length). */
  sessionTtlSeconds: number;
  /**
   * Seconds a cached profile lives after it was filled or changed: how long a cache that missed a
   * write (a Redis failover) can be stale, and how often a phone's profile is read from the
   * records store at most.
   */
  profileTtlSeconds?: number;
}
