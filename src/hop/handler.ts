// One hop, end to end: load the session (one round trip), step the pure engine, perform its
// effects (effects.ts: ask the model, remember the language, record feedback and tier events), store the
// session (one round trip), log the hop, reply. A session's first hop and a menu hop of a session
// this process served last try one round trip first (one-trip.ts, issue 7) and come here only
// when that cannot do. Callers bound it with the hop deadline; this module keeps the model's share of that deadline
// and throws only into the app's error funnel.
import { randomUUID } from 'node:crypto';
import { createDeliveries, type Deliveries } from '../delivery/delivery.ts';
import { t } from '../engine/render.ts';
import { start, walk, walkFrom } from '../engine/step.ts';
import type { Journey, StepResult, StoredSession } from '../engine/types.ts';
import type { Answerer } from '../inference/types.ts';
import type { InteractionLog } from '../log/types.ts';
import type { HopLogger, Logger } from '../logger.ts';
import { createIntentPayments } from '../payments/intent.ts';
import type { Payments } from '../payments/types.ts';
import { createPhoneKeys, hashPhone, type PhoneKeys } from '../phone.ts';
import { type Hop, newInput } from '../protocol/at.ts';
import type { RecordsStore } from '../records/types.ts';
import type { HopKey, HopSnapshot, HopWrite, SessionStore } from '../session/types.ts';
import {
  answerPending,
  type HopOutcome,
  type HopSettings,
  limitedOutcome,
  refusedOutcome,
  sessionStart,
  stepContext,
  unsavedOutcome,
} from './context.ts';
import { COMMIT_RESERVE_MS, createEffects, type EffectResult } from './effects.ts';
import { createOneTripHops } from './one-trip.ts';
import { createProfiles } from './profile.ts';

export type { HopOutcome, HopSettings } from './context.ts';

export interface HopDeps {
  journey: Journey;
  store: SessionStore<StoredSession>;
  answerer: Answerer;
  /** The system of record for phone profiles; the session store caches them. */
  records: RecordsStore;
  log: InteractionLog;
  /** PAYMENTS_MODE's driver; intent (no money moves) when not given. */
  payments?: Payments;
  logger: Logger;
  settings: HopSettings;
  /** The subscriber of each number as sent (default: one from the settings, cached). */
  phones?: PhoneKeys;
  /** Where answers go once shown (default: logged, no SMS). */
  deliveries?: Deliveries;
  clock?: () => number;
}

/** How often a resent hop checks whether the first one has finished. */
const LEASE_POLL_MS = 100;

export function createHopHandler(deps: HopDeps) {
  const { journey, store, answerer, records, log, settings } = deps;
  const payments = deps.payments ?? createIntentPayments();
  const clock = deps.clock ?? Date.now;
  const phones =
    deps.phones ??
    createPhoneKeys({ secret: settings.phoneHashSecret, defaultCountry: settings.defaultCountry });

  const profiles = createProfiles({ records, store, clock });
  const oneTrip = createOneTripHops({ journey, store, profiles, settings, clock });
  const deliveries =
    deps.deliveries ?? createDeliveries({ store, log, logger: deps.logger, sms: null, clock });
  const effects = createEffects({ journey, store, answerer, records, log, payments, settings, deliveries });

  return async function handleHop(hop: Hop, arrivedAt: number, logger: HopLogger): Promise<HopOutcome> {
    const deadline = arrivedAt + settings.hopDeadlineMs;
    const subscriber = phones(hop.phoneNumber);
    // The hash of what was sent, for the log row alone: no session or profile is keyed by it.
    const phoneKey = subscriber?.hash ?? hashPhone(hop.phoneNumber, settings.phoneHashSecret);
    const record = (
      outcome: HopOutcome,
      kind: 'ok' | 'replay' | 'limited' | 'refused' | 'error',
      input: string | null,
    ) => {
      log.recordHop({
        at: arrivedAt,
        sessionId: hop.sessionId,
        phoneHash: phoneKey,
        ...(settings.storePhoneNumbers ? { phone: subscriber?.e164 ?? hop.phoneNumber } : {}),
        serviceCode: hop.serviceCode,
        ...(hop.networkCode ? { networkCode: hop.networkCode } : {}),
        input,
        text: hop.text,
        screen: outcome.screen,
        lang: outcome.lang,
        replyKind: outcome.reply.kind,
        reply: outcome.reply.text,
        latencyMs: clock() - arrivedAt,
        // Past the deadline the app already sent the fallback screen: say so, not 'ok'.
        outcome: clock() > deadline ? 'late' : kind,
      });
      return outcome;
    };

    // Not a phone number (nor a national one of DEFAULT_COUNTRY): no subscriber to serve.
    if (subscriber === null) {
      logger.warn({ country: settings.defaultCountry }, 'phone number not readable; sent the polite END');
      return record(refusedOutcome(journey), 'refused', hop.text || null);
    }
    const key = hopKey(hop.sessionId, phoneKey, arrivedAt, settings.tzOffsetMinutes);

    const tried = await oneTrip.attempt(hop, key, logger);
    if (tried.done !== null) return record(tried.done.outcome, tried.done.kind, tried.done.input);

    const taken = await takeLease(key, deadline, tried.counted);
    // What this hop brings after the stored text; all of it for a session we have no state for.
    const input = taken.state ? newInput(taken.state.text, hop.text) : hop.text || null;

    // Another hop of this session still holds the lease and did not finish in time.
    if (!taken.lease) {
      logger.warn('session busy: a hop of the same session is still running');
      const lang = taken.state?.engine.lang ?? journey.defaultLanguage;
      return record(
        { reply: { kind: 'END', text: t(journey.texts.error, lang) }, screen: '@busy', lang },
        'limited',
        input,
      );
    }
    const lease = taken.lease;
    const stored = taken.state;
    try {
      // The same hop again (telcos resend): the same reply, no effects.
      if (stored && stored.text === hop.text) {
        await store.release(key, lease);
        const pending = answerPending(stored.engine);
        return record(
          { reply: stored.reply, screen: stored.screen, lang: stored.engine.lang, pending },
          'replay',
          input,
        );
      }
      if (settings.hopRatePerMinute > 0 && taken.hopsThisMinute > settings.hopRatePerMinute) {
        await store.release(key, lease);
        logger.warn({ hops: taken.hopsThisMinute }, 'hop rate limit reached');
        return record(limitedOutcome(journey, stored), 'limited', input);
      }

      const profile = await profiles.resolve(key, taken, deadline - COMMIT_RESERVE_MS, logger);
      const snapshot = { ...taken, profile };
      const ctx = stepContext(settings, snapshot, clock(), randomUUID());
      let result: StepResult;
      if (stored && input !== null) {
        const from = { state: stored.engine, reply: stored.reply, effects: [] };
        result = walkFrom(journey, from, input, ctx);
      } else if (hop.text === '') result = start(journey, ctx);
      else result = walk(journey, hop.text, ctx); // unknown session, or text that does not extend ours

      const done: EffectResult = {
        state: result.state,
        reply: result.reply,
        profile: {},
        questionAsked: 0,
        limited: false,
        unsaved: false,
      };
      await effects.perform(
        result.effects,
        { hop, phoneKey, e164: subscriber.e164, arrivedAt, deadline, snapshot, ctx, logger },
        done,
      );
      if (done.limited) {
        await store.release(key, lease);
        return record(limitedOutcome(journey, stored), 'limited', input);
      }
      if (done.unsaved) {
        await store.release(key, lease);
        // The write may still land (it was running at its deadline): the next hop reads the
        // records store rather than this cache.
        store.cacheProfile(phoneKey, null).catch(() => {});
        return record(
          unsavedOutcome(journey, stored, ctx.profile.lang ?? journey.defaultLanguage),
          'error',
          input,
        );
      }
      const { state, reply, questionAsked, answer } = done;
      const changed = done.profile;
      if (!reply) throw new Error('[hop] the engine gave no reply'); // an ask always sets one
      const screen = state.screen;
      const write: HopWrite<StoredSession> = {
        state: { engine: state, text: hop.text, reply, screen, ...sessionStart(stored, arrivedAt) },
        ...(questionAsked ? { questionAsked } : {}),
        ...(Object.keys(changed).length > 0 ? { profile: changed } : {}),
        ...(answer ? { answer } : {}),
      };
      const committed = await store.commit(key, lease, write);
      if (committed) {
        oneTrip.remember(hop.sessionId, {
          phoneKey,
          version: lease,
          stored: write.state,
          profile: { ...profile, ...changed },
          questionsToday: snapshot.questionsToday + questionAsked,
        });
      } else {
        oneTrip.forget(hop.sessionId);
        logger.warn('session lease ran out before commit; state not stored');
      }
      return record({ reply, screen, lang: state.lang, pending: answerPending(state) }, 'ok', input);
    } catch (error) {
      await store.release(key, lease).catch(() => {});
      throw error;
    }
  };

  /**
   * Takes the session's lease; while another hop of the session holds it, waits for it to finish.
   * The hop counts towards the phone's hop rate once: polls never count (issue 15: every 100 ms
   * poll counted, and a user was told "Too many requests" after 6 hops).
   */
  async function takeLease(
    key: HopKey,
    deadline: number,
    counted: boolean,
  ): Promise<HopSnapshot<StoredSession>> {
    const leaseMs = settings.hopDeadlineMs + 2000;
    let snapshot = await store.begin(key, leaseMs, { countHop: !counted });
    while (!snapshot.lease && clock() + LEASE_POLL_MS < deadline - COMMIT_RESERVE_MS) {
      await new Promise((r) => setTimeout(r, LEASE_POLL_MS));
      snapshot = await store.begin(key, leaseMs, { countHop: false });
    }
    return snapshot;
  }
}

export function hopKey(sessionId: string, phoneKey: string, now: number, tzOffsetMinutes: number): HopKey {
  return { sessionId, phoneKey, day: localDay(now, tzOffsetMinutes), minute: Math.floor(now / 60_000) };
}

/** The local date (YYYY-MM-DD), formatted once per local minute: offsets are whole minutes. */
let lastDay = { localMinute: Number.NaN, day: '' };
function localDay(now: number, tzOffsetMinutes: number): string {
  const localMs = now + tzOffsetMinutes * 60_000;
  const localMinute = Math.floor(localMs / 60_000);
  if (localMinute !== lastDay.localMinute)
    lastDay = { localMinute, day: new Date(localMs).toISOString().slice(0, 10) };
  return lastDay.day;
}
