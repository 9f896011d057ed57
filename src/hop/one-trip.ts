// The one-round-trip hops (issue 7). A session's first hop only reads (peek) and shows the start
// screen, storing nothing: its next hop writes the session. A menu hop of a session this process
// served last steps from the state it left, with what that hop read of the phone, and stores the
// result over that state's version (advance, a compare-and-set). Everything else, and anything
// that changed in between (another replica's hop, a resend, a running answer), is left to the full
// way in handler.ts: begin with the lease, step, perform effects, commit.
import { selfContained, start, walkFrom } from '../engine/step.ts';
import type { Journey, StepResult, StoredSession } from '../engine/types.ts';
import type { HopLogger } from '../logger.ts';
import { type Hop, newInput } from '../protocol/at.ts';
import type { HopKey, SessionStore } from '../session/types.ts';
import type { PhoneProfile } from '../types.ts';
import { type HopOutcome, type HopSettings, limitedOutcome, sessionStart, stepContext } from './context.ts';
import { COMMIT_RESERVE_MS } from './effects.ts';
import type { createProfiles } from './profile.ts';

/**
 * Sessions remembered as this process left them, the oldest dropped beyond it: ~1-4 kB each as
 * measured (issue 7: 5,000 cost 18 MB of the 120 MB RSS target), and a miss only costs a round trip.
 */
const RECENT_SESSIONS = 2000;

/** A session as this process's last hop of it left it, with what that hop read of the phone. */
export interface Recent {
  phoneKey: string;
  version: string;
  stored: StoredSession;
  profile: PhoneProfile;
  questionsToday: number;
}

/** A hop done in one round trip: its outcome, how to log it, and the input it brought. */
export interface OneTrip {
  outcome: HopOutcome;
  kind: 'ok' | 'limited';
  input: string | null;
}

/**
 * What an attempt came to: the hop done, or left to the full way, saying whether it was counted
 * towards the phone's hop rate already (a peek counts it), so the full way does not count it again.
 */
export type Attempt = { done: OneTrip; counted: true } | { done: null; counted: boolean };

const FULL_WAY: Attempt = { done: null, counted: false };

export interface OneTripDeps {
  journey: Journey;
  store: SessionStore<StoredSession>;
  profiles: ReturnType<typeof createProfiles>;
  settings: HopSettings;
  clock: () => number;
}

export function createOneTripHops(deps: OneTripDeps) {
  const { journey, store, profiles, settings, clock } = deps;
  // A journey that opens on an ask or offer screen takes the full way from the first hop: reading
  // first and then taking the lease would count that hop twice towards the phone's hop rate.
  const opensSelfContained = selfContained(journey, {
    screen: journey.start,
    trail: [],
    lang: journey.defaultLanguage,
    page: 0,
    inputs: {},
  });
  // Insertion-ordered: a remembered session is deleted and set again, so the first is the oldest.
  const recent = new Map<string, Recent>();
  const remember = (sessionId: string, entry: Recent) => {
    recent.delete(sessionId);
    // Over (END), or where the next hop takes the full way anyway (an answer, a quota in view).
    if (entry.stored.reply.kind === 'END' || !selfContained(journey, entry.stored.engine)) return;
    if (recent.size >= RECENT_SESSIONS) recent.delete(recent.keys().next().value as string);
    recent.set(sessionId, entry);
  };

  return {
    /** The hop done in one round trip, or left to the full way. */
    async attempt(hop: Hop, key: HopKey, logger: HopLogger): Promise<Attempt> {
      const known = recent.get(hop.sessionId);
      if (known !== undefined && known.phoneKey === key.phoneKey) {
        // advance counts the hop only when it writes or refuses it ('limited'), never on 'changed'.
        const done = await advance(hop, key, known, logger);
        return done ? { done, counted: true } : FULL_WAY;
      }
      if (hop.text === '' && known === undefined && opensSelfContained) {
        const done = await open(hop, key, logger); // its peek counted the hop, whatever came of it
        return done ? { done, counted: true } : { done: null, counted: true };
      }
      return FULL_WAY;
    },
    /** What the full way left: the session as committed, with what it read of the phone. */
    remember,
    /** The full way could not store the session: whatever this process remembers of it is stale. */
    forget: (sessionId: string) => {
      recent.delete(sessionId);
    },
  };

  /**
   * The one-round-trip way for a menu hop of a session this process served last: step from the
   * state it left, with what that hop read of the phone, and store the result over that state's
   * version. Null when the hop needs the full way: a resend, an answer or a quota in view, an
   * effect to perform, or a session changed since (another replica, a running answer).
   */
  async function advance(hop: Hop, key: HopKey, known: Recent, logger: HopLogger): Promise<OneTrip | null> {
    const { stored } = known;
    const input = newInput(stored.text, hop.text);
    if (input === null || stored.text === hop.text || !selfContained(journey, stored.engine)) return null;
    // No hop id: an ask would need one, and a hop with effects is not written here.
    const ctx = stepContext(settings, { ...known, answer: null }, clock(), '');
    const from = { state: stored.engine, reply: stored.reply, effects: [] };
    const next = oneTripState(walkFrom(journey, from, input, ctx), hop.text, sessionStart(stored, 0));
    if (next === null) return null;
    const advanced = await store.advance(key, known.version, next, settings.hopRatePerMinute);
    if (!advanced.written) {
      recent.delete(hop.sessionId);
      if (advanced.reason === 'changed') return null;
      logger.warn('hop rate limit reached');
      return { outcome: limitedOutcome(journey, stored), kind: 'limited', input };
    }
    remember(hop.sessionId, { ...known, version: advanced.version, stored: next });
    return { outcome: { reply: next.reply, screen: next.screen, lang: next.engine.lang }, kind: 'ok', input };
  }

  /**
   * The one-round-trip way for a session's first hop: read the phone (no lease) and show the start
   * screen, storing nothing: the session is written by its next hop (advance over version '', or,
   * on another replica, the full way, which walks AT's text from the start screen). Null when the
   * start screen needs the full way (an effect, a quota in view) or the session already has state.
   */
  async function open(hop: Hop, key: HopKey, logger: HopLogger): Promise<OneTrip | null> {
    const peeked = await store.peek(key);
    if (peeked.state !== null) return null; // a resend after the session was written: replay it
    if (settings.hopRatePerMinute > 0 && peeked.hopsThisMinute > settings.hopRatePerMinute) {
      logger.warn({ hops: peeked.hopsThisMinute }, 'hop rate limit reached');
      return { outcome: limitedOutcome(journey, null), kind: 'limited', input: null };
    }
    // The start screen is in the phone's language: on a cache miss, the records store's.
    const deadline = clock() + settings.hopDeadlineMs - COMMIT_RESERVE_MS;
    const snapshot = { ...peeked, profile: await profiles.resolve(key, peeked, deadline, logger) };
    const first = start(journey, stepContext(settings, snapshot, clock(), ''));
    const stored = oneTripState(first, hop.text, sessionStart(null, clock()));
    if (stored === null) return null;
    remember(hop.sessionId, {
      phoneKey: key.phoneKey,
      version: '',
      stored,
      profile: snapshot.profile,
      questionsToday: snapshot.questionsToday,
    });
    const outcome = { reply: stored.reply, screen: stored.screen, lang: stored.engine.lang };
    return { outcome, kind: 'ok', input: null };
  }

  /** The state to store after a one-round-trip hop, or null when its step needs the full way. */
  function oneTripState(
    result: StepResult,
    text: string,
    started: { startedAt?: number },
  ): StoredSession | null {
    if (result.effects.length > 0 || result.reply === null || !selfContained(journey, result.state))
      return null;
    return { engine: result.state, text, reply: result.reply, screen: result.state.screen, ...started };
  }
}
