// The menu state machine: one keypress in, the next state, the reply and the effects out.
// Pure (XState's pure transitions): no I/O, no clock, no randomness — time and ids come in
// through StepContext, side effects go out as data for the handler to perform (issue 3).
import { offered } from '../session/pending.ts';
import type { Reply } from '../types.ts';
import { acceptsInput } from './input-rule.ts';
import { acceptOffer, logOnce, paymentAwaited, planOf, subscribed, unseenOutcome } from './offer.ts';
import { menuPages, shownTo, t } from './render.ts';
import type {
  Effect,
  EngineState,
  Journey,
  OfferVia,
  Screen,
  StepContext,
  StepResult,
  Text,
} from './types.ts';
import {
  ANSWER_SCREEN,
  answerOf,
  answerView,
  errorReply,
  offersSms,
  PENDING_SCREEN,
  pagesOf,
  render,
  vars,
} from './view.ts';

export { ANSWER_SCREEN, PENDING_SCREEN, vars };

const MAX_TRAIL = 20;
/**
 * The most inputs one hop may walk (issue 15: a `text` of 7,900 '*' was 7,900 steps, ~21x a hop's
 * CPU). A real session has a few dozen inputs; a hop normally brings one, and a session walked
 * from its start (a shortcut dial, state lost) its whole path. The free text of an ask or input
 * screen is one input, however many '*' it holds.
 */
export const MAX_WALKED_INPUTS = 64;

/**
 * The first hop of a session: the start screen in the phone's remembered language, or, once
 * after a payment's outcome, the screen that tells it (paid until when, or why it failed).
 */
export function start(journey: Journey, ctx: StepContext): StepResult {
  const lang =
    ctx.profile.lang && journey.languages.includes(ctx.profile.lang)
      ? ctx.profile.lang
      : journey.defaultLanguage;
  const state: EngineState = { screen: journey.start, trail: [], lang, page: 0, inputs: {} };
  const outcome = journey.payments ? unseenOutcome(ctx) : null;
  if (outcome && journey.payments) {
    const id = outcome.status === 'paid' ? journey.payments.paid : journey.payments.failed;
    const shown = enter(journey, state, id, ctx, false);
    return { ...shown, effects: [{ type: 'payment-seen', paymentId: outcome.id }, ...shown.effects] };
  }
  // An answer from an earlier session, done and not read: offered first (issue 13 §3). A question
  // that got no answer is not offered: there is nothing to read.
  // Of two (one waited behind the other), the older first.
  const pending = offered(ctx.pending ?? null);
  if (pending) {
    const question = { id: pending.id, text: pending.question };
    return show(journey, { ...state, screen: PENDING_SCREEN, question }, ctx);
  }
  return enter(journey, state, journey.start, ctx, false);
}

/** One keypress on the current screen. `input` is the new input alone, '*' and all. */
export function step(journey: Journey, state: EngineState, input: string, ctx: StepContext): StepResult {
  const key = input.trim();
  const { back, home, more } = journey.keys;
  if (home !== null && key === home)
    return enter(journey, { ...state, trail: [] }, journey.start, ctx, false);
  if (state.screen === ANSWER_SCREEN) return answerStep(journey, state, key, ctx);
  if (state.screen === PENDING_SCREEN) return pendingStep(journey, state, key, ctx);
  const screen = journey.screens.get(state.screen);
  if (!screen) return start(journey, ctx); // the journey changed under a live session
  if (back !== null && key === back) return goBack(journey, state, ctx);

  switch (screen.type) {
    case 'menu':
    case 'language': {
      const plan = planOf(ctx);
      const pages = menuPages(journey, screen, state.lang, vars(journey, state, ctx), plan);
      if (key === more && state.page < pages.length - 1)
        return show(journey, { ...state, page: state.page + 1 }, ctx);
      if (screen.type === 'menu') {
        // An option hidden from this phone's plan is no choice, even if it was on screen a hop ago.
        const option = screen.options.find((o) => o.key === key && shownTo(o, plan));
        if (option) return enter(journey, state, option.next, ctx, true);
      } else {
        const option = screen.options.find((o) => o.key === key);
        if (option) {
          const next = enter(journey, { ...state, lang: option.lang }, screen.next, ctx, true);
          return { ...next, effects: [{ type: 'set-language', lang: option.lang }, ...next.effects] };
        }
      }
      return invalid(journey, state, ctx);
    }
    case 'input': {
      if (!acceptsInput(screen, key)) return invalid(journey, state, ctx);
      const inputs = { ...state.inputs, [screen.save]: key };
      return enter(journey, { ...state, inputs }, screen.next, ctx, true);
    }
    case 'ask': {
      if (key.length === 0) return invalid(journey, state, ctx, journey.texts.emptyQuestion);
      const question = { id: ctx.hopId, text: key };
      const next: EngineState = {
        ...state,
        screen: ANSWER_SCREEN,
        page: 0,
        question,
        trail: pushTrail(state.trail, screen.id),
      };
      return { state: next, reply: null, effects: [{ type: 'ask', question: key, questionId: question.id }] };
    }
    case 'offer': {
      // Subscribed since the offer was drawn (another session paid): never sold twice.
      if (subscribed(ctx)) return enter(journey, state, screen.whenSubscribed, ctx, false);
      if (key !== '1' && key !== '2') return invalid(journey, state, ctx);
      const logged = logOnce(state, [{ event: key === '1' ? 'accept' : 'decline' }]);
      const accepted = key === '1' ? acceptOffer(screen, ctx) : { next: screen.declined, effects: [] };
      const next = enter(journey, logged.state, accepted.next, ctx, false);
      return { ...next, effects: [...logged.effects, ...accepted.effects, ...next.effects] };
    }
    case 'end':
      return start(journey, ctx); // a closed session cannot take input; begin again
  }
}

/**
 * Whether a state is drawn from the session and the phone's profile alone: not the answer screen
 * (drawn from the answer being generated, written by another task), not with the answer screen
 * to go back to, and not an ask or offer screen (drawn from today's question count, which other
 * sessions of the phone change). A hop between two such states may reuse what an earlier hop read.
 */
export function selfContained(journey: Journey, state: EngineState): boolean {
  if (state.screen === ANSWER_SCREEN || state.trail.includes(ANSWER_SCREEN)) return false;
  const type = journey.screens.get(state.screen)?.type;
  return type !== undefined && type !== 'ask' && type !== 'offer';
}

/** After the handler asked: the reply for the answer (or its failure, or "still thinking"). */
export function showAnswer(
  journey: Journey,
  state: EngineState,
  ctx: StepContext,
): { state: EngineState; reply: Reply } {
  const { state: shown, reply } = show(journey, state, ctx);
  return { state: shown, reply: reply as Reply };
}

/**
 * A session we have no state for, with non-empty text (a shortcut dial such as *384*123*2#, or
 * state lost to a Redis restart): walk the path from the start one input at a time. Every input
 * came from a hop we never saw, so a free-text screen on the way takes its own input only.
 */
export function walk(journey: Journey, text: string, ctx: StepContext): StepResult {
  return walkFrom(journey, start(journey, ctx), text, ctx, false);
}

/**
 * Applies `inputs` (one or more inputs joined by '*') from `from`, one at a time, and returns the
 * last step with the effects of every step, in order: each step was a keypress the user made, so
 * each effect (a language, a subscription, an offer shown) happens once, here (issue 16).
 *
 * On the free-text screen the session is on (`wholeFirst`), the rest is its input, '*' and all: a
 * question typed as "what is 2*3" stays whole. A free-text screen reached inside the walk takes
 * the inputs of several hops, so its input ends where a menu key follows (freeTextInput). The walk
 * stops at a step that asks: the keys after it were pressed on an answer we do not have. At most
 * MAX_WALKED_INPUTS inputs are walked; more end the session, with nothing performed.
 */
export function walkFrom(
  journey: Journey,
  from: StepResult,
  inputs: string,
  ctx: StepContext,
  wholeFirst = true,
): StepResult {
  let result = from;
  let rest: string | null = inputs;
  const effects: Effect[] = [];
  let walked = 0;
  for (let first = true; rest !== null; first = false) {
    if (result.reply === null || result.reply.kind === 'END') break;
    // Past the bound, no more steps: the session ends as on any failure, with nothing performed.
    if (++walked > MAX_WALKED_INPUTS)
      return { state: result.state, reply: errorReply(journey, result.state), effects: [] };
    const screen = journey.screens.get(result.state.screen);
    let input: string;
    if (screen && (screen.type === 'ask' || screen.type === 'input')) {
      [input, rest] = first && wholeFirst ? [rest, null] : freeTextInput(rest);
    } else {
      const star: number = rest.indexOf('*');
      input = star < 0 ? rest : rest.slice(0, star);
      rest = star < 0 ? null : rest.slice(star + 1);
    }
    const stepCtx = rest === null ? ctx : { ...ctx, answer: null };
    result = step(journey, result.state, input, stepCtx);
    effects.push(...result.effects);
  }
  return { ...result, effects };
}

/**
 * A free-text input at the head of inputs from several hops, and the inputs after it. It ends at a
 * '*' followed by a menu key (1-3 digits, then '*' or the end), as in "how do i make ors*0" (issue
 * 16), unless a digit comes before that '*': "2*3" is a product, not a question and a key.
 */
function freeTextInput(rest: string): [string, string | null] {
  const key = /(?<!\d)\*(?=\d{1,3}(?:\*|$))/.exec(rest);
  return key === null ? [rest, null] : [rest.slice(0, key.index), rest.slice(key.index + 1)];
}

function enter(
  journey: Journey,
  state: EngineState,
  id: string,
  ctx: StepContext,
  push: boolean,
  via: OfferVia = 'menu',
): StepResult {
  const screen = journey.screens.get(id);
  if (!screen) return { state, reply: errorReply(journey, state), effects: [] };
  const trail = push && state.screen !== id ? pushTrail(state.trail, state.screen) : state.trail;
  if (screen.type === 'ask' && quotaUsed(ctx)) {
    const logged = logOnce(state, [{ event: 'quota-hit' }]);
    const offer = enter(journey, { ...logged.state, trail }, screen.whenQuotaUsed, ctx, false, 'quota');
    return { ...offer, effects: [...logged.effects, ...offer.effects] };
  }
  if (screen.type === 'offer') {
    // A subscribed phone is never shown the offer (issue 14); validate.ts keeps this from looping.
    if (subscribed(ctx)) return enter(journey, { ...state, trail }, screen.whenSubscribed, ctx, false);
    // Nor offered again while its payment is awaited: accepting would ask for nothing.
    if (screen.whenPending !== undefined && paymentAwaited(ctx))
      return enter(journey, { ...state, trail }, screen.whenPending, ctx, false);
    const logged = logOnce(state, [{ event: 'offer', via }]);
    const shown = show(journey, { ...logged.state, screen: id, page: 0, trail }, ctx);
    return { ...shown, effects: logged.effects };
  }
  return show(journey, { ...state, screen: id, page: 0, trail }, ctx);
}

function show(journey: Journey, state: EngineState, ctx: StepContext): StepResult {
  const shown =
    state.screen === ANSWER_SCREEN ? { ...state, view: answerView(journey, state, ctx) } : withoutView(state);
  return { state: shown, reply: render(journey, shown, ctx, null), effects: [] };
}

function invalid(journey: Journey, state: EngineState, ctx: StepContext, why?: Text): StepResult {
  const screen = journey.screens.get(state.screen);
  const hint = why ?? (screen?.type === 'input' && screen.hint ? screen.hint : journey.texts.invalid);
  return { state, reply: render(journey, state, ctx, t(hint, state.lang)), effects: [] };
}

function goBack(journey: Journey, state: EngineState, ctx: StepContext): StepResult {
  if (state.page > 0) return show(journey, { ...state, page: state.page - 1 }, ctx);
  const previous = state.trail.at(-1);
  if (previous === undefined) return invalid(journey, state, ctx);
  return enter(journey, { ...state, trail: state.trail.slice(0, -1) }, previous, ctx, false);
}

function answerStep(journey: Journey, state: EngineState, key: string, ctx: StepContext): StepResult {
  if (journey.keys.back !== null && key === journey.keys.back) {
    if (state.page > 0) return show(journey, { ...state, page: state.page - 1 }, ctx);
    return goBack(journey, { ...state, page: 0 }, ctx);
  }
  if (!state.question || (key !== '1' && key !== '2' && key !== '3')) return invalid(journey, state, ctx);
  switch (state.view) {
    case 'wait': {
      // "1. Get answer"; a page shown now is the answer reaching its asker.
      if (key !== '1') return invalid(journey, state, ctx);
      const shown = show(journey, state, ctx);
      if (shown.state.view !== 'page') return shown;
      return { ...shown, effects: [{ type: 'delivered', questionId: state.question.id }] };
    }
    case 'failed': {
      if (key !== '1') return invalid(journey, state, ctx);
      // Try again: a fresh question id, so the old answer's late progress cannot mix in.
      const question = { id: ctx.hopId, text: state.question.text };
      return {
        state: { ...state, question, page: 0 },
        reply: null,
        effects: [{ type: 'ask', question: question.text, questionId: question.id }],
      };
    }
    case 'gone':
      return invalid(journey, state, ctx);
    default: {
      const progress = answerOf(state, ctx);
      const { pages, complete } = progress
        ? pagesOf(journey, state, progress, ctx)
        : { pages: [], complete: false };
      const onLast = complete && state.page >= pages.length - 1;
      if (key === '3') {
        // "Send all by SMS": only where the last page offered it.
        if (!onLast || !progress || !offersSms(progress, pages, ctx)) return invalid(journey, state, ctx);
        return {
          state,
          reply: { kind: 'END', text: t(journey.texts.smsRequested, state.lang) },
          effects: [{ type: 'sms-answer', questionId: state.question.id }],
        };
      }
      if (onLast) {
        const ask = journey.screens.get(state.trail.at(-1) ?? '');
        const afterRating = ask?.type === 'ask' ? ask.afterRating : journey.start;
        const next = enter(journey, withoutQuestion(state), afterRating, ctx, false);
        const feedback: Effect = { type: 'feedback', questionId: state.question.id, helpful: key === '1' };
        return { ...next, effects: [feedback, ...next.effects] };
      }
      // 1. More: the next page, or "still thinking" while it is being written.
      return key === '1'
        ? show(journey, { ...state, page: state.page + 1 }, ctx)
        : invalid(journey, state, ctx);
    }
  }
}

/** "You have an answer to: …": 1 reads it (this session's answer from now), 2 the main menu. */
function pendingStep(journey: Journey, state: EngineState, key: string, ctx: StepContext): StepResult {
  if (!state.question) return start(journey, { ...ctx, pending: null });
  if (key === '2') return enter(journey, withoutQuestion(state), journey.start, ctx, false);
  if (key !== '1') return invalid(journey, state, ctx);
  const next: EngineState = { ...state, screen: ANSWER_SCREEN, page: 0, trail: [journey.start] };
  const shown = show(journey, next, ctx);
  return { ...shown, effects: [{ type: 'read-pending', questionId: state.question.id }] };
}

function quotaUsed(ctx: StepContext): boolean {
  return !subscribed(ctx) && ctx.questionsToday >= ctx.dailyQuota;
}

function pushTrail(trail: string[], id: string): string[] {
  return [...trail, id].slice(-MAX_TRAIL);
}

function withoutQuestion(state: EngineState): EngineState {
  const { question: _question, view: _view, ...rest } = state;
  return rest;
}

function withoutView(state: EngineState): EngineState {
  if (state.view === undefined) return state;
  const { view: _view, ...rest } = state;
  return rest;
}
