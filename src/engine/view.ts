// What the phone shows for a session's state: the screen's text with its placeholders, the
// invalid hint, the answer's pages, "still thinking" and failure screens. Pure; step.ts decides
// where the session goes, this module only draws it.
import { cleanScreen } from '../screen/fit.ts';
import { septets } from '../screen/gsm7.ts';
import type { AnswerProgress, Reply } from '../types.ts';
import { paymentPending, planOf, subscribed } from './offer.ts';
import {
  answerPages,
  answerScreen,
  fill,
  menuPages,
  offerText,
  screenText,
  shownQuestion,
  t,
  type Vars,
  withHint,
} from './render.ts';
import type { AnswerView, EngineState, Journey, StepContext } from './types.ts';

/** Less than this of an answer cut by a failure is shown as the failure, not as an answer. */
const MIN_PARTIAL_SEPTETS = 60;

/** The built-in screen that shows an answer, its pages and the rating. */
export const ANSWER_SCREEN = '@answer';
/** The built-in first screen of a dial with an unread answer from an earlier session (issue 13). */
export const PENDING_SCREEN = '@pending';

/** English month names, for a journey without its own `texts.months`. */
export const MONTHS_EN = 'Jan Feb Mar Apr May Jun Jul Aug Sep Oct Nov Dec';

/** The placeholders' values for this session. */
export function vars(journey: Journey, state: EngineState, ctx: StepContext): Vars {
  const paid = subscribed(ctx);
  const left = Math.max(0, ctx.dailyQuota - ctx.questionsToday);
  const lang = state.lang;
  const until = paid
    ? localDate(journey, lang, (ctx.profile.subscribedUntil ?? 0) + ctx.tzOffsetMinutes * 60_000)
    : '';
  const failure = ctx.profile.payment?.failure;
  const v: Vars = {
    questions_left: paid ? t(journey.texts.unlimited, lang) : String(left),
    quota: String(ctx.dailyQuota),
    price: ctx.price,
    days: String(ctx.days),
    plan: paid
      ? fill(t(journey.texts.planPaid, lang), { until })
      : t(paymentPending(ctx) ? journey.texts.planPending : journey.texts.planFree, lang),
    language: t(journey.languageNames, lang),
    until,
    reason: failure && journey.payments ? t(journey.payments.reasons[failure], lang) : '',
  };
  for (const key in state.inputs) v[`input.${key}`] = state.inputs[key] as string;
  return v;
}

export function render(journey: Journey, state: EngineState, ctx: StepContext, hint: string | null): Reply {
  const lang = state.lang;
  const body = (text: string): string => (hint ? withHint(hint, text) : text);
  if (state.screen === ANSWER_SCREEN) return renderAnswer(journey, state, ctx, hint);
  if (state.screen === PENDING_SCREEN) {
    const question = shownQuestion(state.question?.text ?? '');
    return { kind: 'CON', text: body(cleanScreen(fill(t(journey.texts.pendingOffer, lang), { question }))) };
  }
  const screen = journey.screens.get(state.screen);
  if (!screen) return errorReply(journey, state);
  const v = vars(journey, state, ctx);
  switch (screen.type) {
    case 'menu':
    case 'language': {
      const pages = menuPages(journey, screen, lang, v, planOf(ctx));
      return { kind: 'CON', text: body(pages[Math.min(state.page, pages.length - 1)] ?? '') };
    }
    case 'offer':
      return { kind: 'CON', text: body(offerText(journey, screen, lang, v)) };
    case 'end':
      return { kind: 'END', text: screenText(journey, screen, lang, v) };
    default:
      return { kind: 'CON', text: body(screenText(journey, screen, lang, v)) };
  }
}

function renderAnswer(journey: Journey, state: EngineState, ctx: StepContext, hint: string | null): Reply {
  const lang = state.lang;
  const progress = answerOf(state, ctx);
  const withBack = (text: string) => `${text}\n${t(journey.texts.backLine, lang)}`;
  const prefix = (text: string) => (hint ? withHint(hint, text) : text);
  if (!progress) return { kind: 'CON', text: prefix(withBack(t(journey.texts.answerGone, lang))) };
  const { pages, complete } = pagesOf(journey, state, progress, ctx);
  const waitVars = {
    minutes: String(minutesOf((progress.etaAt ?? ctx.now) - ctx.now)),
    question: shownQuestion(progress.waitingFor ?? ''),
  };
  if (progress.failure !== undefined && pages.length === 0) {
    const text = fill(t(journey.texts.failure[progress.failure], lang), waitVars);
    return { kind: 'CON', text: prefix(cleanScreen(text)) };
  }
  const page = pages[state.page];
  if (page === undefined) {
    // Not in this session (issue 13 §3): the session ends with where the answer will be.
    if (progress.later === 'sms' && state.page === 0)
      return { kind: 'END', text: cleanScreen(fill(t(journey.texts.smsLater, lang), waitVars)) };
    if (progress.later === 'dial' && state.page === 0)
      return { kind: 'END', text: cleanScreen(fill(t(journey.texts.dialLater, lang), waitVars)) };
    // Behind the phone's earlier question: which one, and when (issue 13 §3).
    if (progress.after !== undefined && state.page === 0) {
      const behind = fill(t(journey.texts.queuedBehind, lang), {
        ...waitVars,
        question: shownQuestion(progress.after),
      });
      return { kind: 'CON', text: prefix(cleanScreen(behind)) };
    }
    return { kind: 'CON', text: prefix(t(journey.texts.thinking, lang)) };
  }
  // Pages leave room for the hint (answerPageSeptets), so a page re-shown with it still fits whole.
  const last = complete && state.page === pages.length - 1;
  return {
    kind: 'CON',
    text: prefix(answerScreen(journey, lang, page, last, offersSms(progress, pages, ctx))),
  };
}

/** The last page of a paged model answer offers "Send all by SMS" while SMS is on. */
export function offersSms(progress: AnswerProgress, pages: readonly string[], ctx: StepContext): boolean {
  return ctx.smsOn === true && pages.length > 1 && progress.failure === undefined;
}

/** Whole minutes to tell a person, at least 1 (inference/estimate.ts has the same rule). */
function minutesOf(ms: number): number {
  return Math.max(1, Math.ceil(ms / 60_000));
}

/** What the answer screen shows now. */
export function answerView(journey: Journey, state: EngineState, ctx: StepContext): AnswerView {
  const progress = answerOf(state, ctx);
  if (!progress) return 'gone';
  const { pages } = pagesOf(journey, state, progress, ctx);
  if (progress.failure !== undefined && pages.length === 0) return 'failed';
  return pages[state.page] === undefined ? 'wait' : 'page';
}

/** The session's answer, if it belongs to the question in view. */
export function answerOf(state: EngineState, ctx: StepContext) {
  return ctx.answer && state.question && ctx.answer.id === state.question.id ? ctx.answer : null;
}

export function pagesOf(journey: Journey, state: EngineState, progress: AnswerProgress, ctx: StepContext) {
  const smsOn = ctx.smsOn === true;
  if (progress.failure === undefined)
    return answerPages(journey, state.lang, progress.text, progress.done, smsOn);
  // A stream that broke: a few words are no answer (show the failure and its retry); a longer
  // piece is what arrived, marked as cut so nobody rates it as a whole answer.
  const text = progress.text.trim();
  if (septets(text) < MIN_PARTIAL_SEPTETS) return { pages: [], complete: true };
  return answerPages(journey, state.lang, /[.!?]$/.test(text) ? text : `${text}...`, true, smsOn);
}

/** "2 Jan": the day of the month and the journey's month name, of a local time in ms. */
export function localDate(journey: Journey, lang: string, localMs: number): string {
  const d = new Date(localMs);
  const months = (journey.texts.months ? t(journey.texts.months, lang) : MONTHS_EN).split(/\s+/);
  return `${d.getUTCDate()} ${months[d.getUTCMonth()] ?? ''}`.trim();
}

export function errorReply(journey: Journey, state: EngineState): Reply {
  return { kind: 'END', text: t(journey.texts.error, state.lang) };
}
