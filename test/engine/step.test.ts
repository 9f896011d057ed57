// The default journey (menus/ask.yaml), keypress by keypress: exact screens for exact key
// sequences, in both languages. The engine is pure, so these need no server.
import { describe, expect, it } from 'vitest';
import { loadJourney } from '../../src/engine/load.ts';
import {
  ANSWER_SCREEN,
  MAX_WALKED_INPUTS,
  showAnswer,
  start,
  step,
  walk,
  walkFrom,
} from '../../src/engine/step.ts';
import type { EngineState, StepContext, StepResult } from '../../src/engine/types.ts';
import { septets } from '../../src/screen/gsm7.ts';
import type { AnswerProgress } from '../../src/types.ts';

const journey = loadJourney('menus', { dailyQuota: 5, price: 'KES 20', days: 30 });
const NOW = Date.UTC(2026, 10, 25, 9, 0);

function ctx(over: Partial<StepContext> = {}): StepContext {
  return {
    now: NOW,
    hopId: 'q1',
    profile: {},
    questionsToday: 0,
    dailyQuota: 5,
    price: 'KES 20',
    days: 30,
    payments: 'intent',
    tzOffsetMinutes: 180,
    answer: null,
    ...over,
  };
}

/** Dials, then presses each key in turn; returns every reply as `KIND text`. */
function dial(keys: string[], c: StepContext = ctx()): { screens: string[]; last: StepResult } {
  let result = start(journey, c);
  const screens = [`${result.reply?.kind} ${result.reply?.text}`];
  for (const key of keys) {
    result = step(journey, result.state, key, c);
    if (result.reply === null) result = { ...result, ...showAnswer(journey, result.state, c) };
    screens.push(`${result.reply?.kind} ${result.reply?.text}`);
  }
  return { screens, last: result };
}

const MAIN_EN = 'CON Welcome to Ask\n1. Ask a question\n2. My account\n3. Help\n4. About';
const MAIN_SW = 'CON Karibu Ask\n1. Uliza swali\n2. Akaunti yangu\n3. Msaada\n4. Kuhusu';
const ACCOUNT_EN =
  'CON My account\nLeft today: 5\nPlan: Free\nLanguage: English\n1. Change language\n2. Subscribe\n0. Back';

describe('the default journey, key by key', () => {
  it.each([
    { keys: [], last: MAIN_EN },
    { keys: ['1'], last: 'CON Type your question.\nLeft today: 5\n0. Back' },
    { keys: ['2'], last: ACCOUNT_EN },
    { keys: ['2', '0'], last: MAIN_EN },
    { keys: ['2', '1'], last: 'CON Choose language\n1. English\n2. Kiswahili\n0. Back' },
    { keys: ['2', '1', '2'], last: 'CON Lugha imehifadhiwa: Kiswahili.\n1. Menyu kuu' },
    { keys: ['2', '1', '2', '1'], last: MAIN_SW },
    { keys: ['2', '1', '0', '0'], last: MAIN_EN },
    { keys: ['2', '1', '00'], last: MAIN_EN },
    { keys: ['9'], last: `CON Invalid choice.\n${MAIN_EN.slice(4)}` },
    { keys: ['9', '2'], last: ACCOUNT_EN },
    { keys: ['0'], last: `CON Invalid choice.\n${MAIN_EN.slice(4)}` },
    { keys: ['1', ''], last: 'CON Please type a question.\nType your question.\nLeft today: 5\n0. Back' },
    { keys: ['1', '  '], last: 'CON Please type a question.\nType your question.\nLeft today: 5\n0. Back' },
    { keys: ['1', '00'], last: MAIN_EN },
    { keys: ['1', '0'], last: MAIN_EN },
    {
      keys: ['2', '2'],
      last: 'CON Unlimited questions, 30-day plan: KES 20.\n1. Subscribe\n2. Not now\n0. Back',
    },
    { keys: ['2', '2', '0'], last: ACCOUNT_EN },
    { keys: ['2', '2', '00'], last: MAIN_EN },
    { keys: ['2', '2', '2'], last: 'END No problem. Free questions each day: 5.' },
    { keys: ['3'], last: expect.stringMatching(/^END Choose 1 to ask a question in English or Swahili\./) },
    { keys: ['4'], last: expect.stringMatching(/^END Ask is an AI assistant for basic phones\./) },
  ])('$keys → $last', ({ keys, last }) => {
    expect(dial(keys).screens.at(-1)).toEqual(last);
  });

  it('speaks Swahili to a phone that chose it before', () => {
    const sw = ctx({ profile: { lang: 'sw' } });
    expect(dial([], sw).screens[0]).toBe(MAIN_SW);
    expect(dial(['1'], sw).screens.at(-1)).toBe('CON Andika swali lako.\nYamebaki: 5\n0. Rudi');
    expect(dial(['1', ''], sw).screens.at(-1)).toBe(
      'CON Tafadhali andika swali.\nAndika swali lako.\nYamebaki: 5\n0. Rudi',
    );
    expect(dial(['9'], sw).screens.at(-1)).toBe(`CON Chaguo si sahihi.\n${MAIN_SW.slice(4)}`);
    expect(dial(['2'], sw).screens.at(-1)).toBe(
      'CON Akaunti yangu\nYamebaki: 5\nMpango: Bure\nLugha: Kiswahili\n1. Badilisha lugha\n2. Jisajili\n0. Rudi',
    );
  });

  it('remembers a language choice as an effect for the phone profile', () => {
    expect(dial(['2', '1', '2']).last.effects).toEqual([{ type: 'set-language', lang: 'sw' }]);
  });
});

describe('asking a question', () => {
  it('sends the whole question to the model, "*" and all', () => {
    const { last } = dial(['1']);
    const asked = step(journey, last.state, 'what is 2*3', ctx());
    expect(asked.reply).toBeNull();
    expect(asked.effects).toEqual([{ type: 'ask', question: 'what is 2*3', questionId: 'q1' }]);
    expect(asked.state.screen).toBe(ANSWER_SCREEN);
  });

  const asked = (() => {
    const { last } = dial(['1']);
    return step(journey, last.state, 'what is malaria', ctx()).state;
  })();
  const answer = (text: string, done = true, extra: Partial<AnswerProgress> = {}): AnswerProgress => ({
    id: 'q1',
    text,
    done,
    source: 'model',
    ...extra,
  });
  const shown = (state: EngineState, a: AnswerProgress | null) =>
    showAnswer(journey, state, ctx({ answer: a }));
  const show = (state: EngineState, a: AnswerProgress | null) => shown(state, a).reply;
  const press = (state: EngineState, key: string, a: AnswerProgress | null) =>
    step(journey, state, key, ctx({ answer: a }));

  it('shows a short answer on one screen with the rating', () => {
    expect(show(asked, answer('Malaria is a disease spread by mosquitoes.'))).toEqual({
      kind: 'CON',
      text: 'Malaria is a disease spread by mosquitoes.\n1. Helpful\n2. Not helpful\n0. Back',
    });
  });

  it('pages a long answer with 1 More and 0 Back, losing no text', () => {
    const long = Array.from({ length: 12 }, (_, i) => `Sentence number ${i + 1} about malaria.`).join(' ');
    const a = answer(long);
    const first = shown(asked, a);
    expect(first.reply.text.endsWith('\n1. More\n0. Back')).toBe(true);
    const seen: string[] = [first.reply.text.replace('\n1. More\n0. Back', '')];
    let state = first.state;
    for (let i = 0; i < 10; i++) {
      const r = press(state, '1', a);
      state = r.state;
      const text = r.reply!.text;
      if (text.endsWith('\n1. Helpful\n2. Not helpful\n0. Back')) {
        seen.push(text.replace('\n1. Helpful\n2. Not helpful\n0. Back', ''));
        break;
      }
      seen.push(text.replace('\n1. More\n0. Back', ''));
    }
    expect(seen.join(' ')).toBe(long);
    expect(press(state, '0', a).reply?.text).toBe(`${seen.at(-2)}\n1. More\n0. Back`);
  });

  it.each([
    ['98', 'en'],
    ['7', 'en'],
    ['2', 'en'],
    ['98', 'sw'],
  ])('re-shows a full answer page with the journey hint for a wrong key: %s (%s)', (key, lang) => {
    const long = Array.from({ length: 30 }, (_, i) => `Word${i} and more words here`).join(' ');
    const a = answer(long);
    const inLang = { ...asked, lang };
    const first = shown(inLang, a);
    const hint = lang === 'en' ? 'Invalid choice.' : 'Chaguo si sahihi.';
    const footer = lang === 'en' ? '\n1. More\n0. Back' : '\n1. Zaidi\n0. Rudi';
    expect(first.reply.text.endsWith(footer)).toBe(true);
    const wrong = step(journey, first.state, key, ctx({ answer: a }));
    expect(wrong.reply?.text).toBe(`${hint}\n${first.reply.text}`);
    expect(septets(wrong.reply?.text ?? '')).toBeLessThanOrEqual(182);
    expect(wrong.state.page).toBe(0);
  });

  it('re-shows the last page with the hint for a wrong key, and still rates it after', () => {
    const a = answer('Short.');
    const page = shown(asked, a).state;
    const wrong = press(page, '98', a);
    expect(wrong.reply?.text).toBe('Invalid choice.\nShort.\n1. Helpful\n2. Not helpful\n0. Back');
    expect(press(wrong.state, '1', a).effects).toEqual([
      { type: 'feedback', questionId: 'q1', helpful: true },
    ]);
  });

  it('balances a done answer so its last page is no stub, skipping nothing a reader saw before', () => {
    const text = `${'Sleep under a treated net every night. '.repeat(3)}Clear standing water.`;
    const done = shown(asked, answer(text));
    expect([done.reply.text, press(done.state, '1', answer(text)).reply?.text]).toEqual([
      'Sleep under a treated net every night. Sleep under a treated net every night.\n1. More\n0. Back',
      'Sleep under a treated net every night. Clear standing water.\n1. Helpful\n2. Not helpful\n0. Back',
    ]);
    // Read while it was written, the first page was longer: the next page then repeats, never skips.
    const writing = shown(asked, answer(text.slice(0, 136), false)).reply.text;
    expect(writing).toBe(`${'Sleep under a treated net every night. '.repeat(3).trim()}\n1. More\n0. Back`);
  });

  it('rates the answer on its last page, then goes to the thanks screen', () => {
    const page = shown(asked, answer('Short.')).state;
    const r = press(page, '1', answer('Short.'));
    expect(r.effects).toEqual([{ type: 'feedback', questionId: 'q1', helpful: true }]);
    expect(r.reply?.text).toBe('Thank you for your feedback!\n1. Another question\n2. Main menu');
    expect(press(page, '2', answer('Short.')).effects).toEqual([
      { type: 'feedback', questionId: 'q1', helpful: false },
    ]);
  });

  it('says "still thinking" while no page is ready, and shows the answer when it is', () => {
    const waiting = shown(asked, answer('', false));
    expect(waiting.reply.text).toBe('Still working on your answer.\n1. Get answer\n0. Back');
    expect(press(waiting.state, '1', answer('', false)).reply?.text).toBe(waiting.reply.text);
    expect(press(waiting.state, '1', answer('It is ready now.')).reply?.text).toBe(
      'It is ready now.\n1. Helpful\n2. Not helpful\n0. Back',
    );
  });

  it('turns a failure into its screen with a retry that asks again under a new id', () => {
    const failed = answer('', false, { failure: 'down' });
    const shownFailure = shown(asked, failed);
    expect(shownFailure.reply.text).toBe('Sorry, the assistant is not available now.\n1. Try again\n0. Back');
    const retry = step(journey, shownFailure.state, '1', ctx({ answer: failed, hopId: 'q2' }));
    expect(retry.effects).toEqual([{ type: 'ask', question: 'what is malaria', questionId: 'q2' }]);
  });

  it('ignores an answer that belongs to another question', () => {
    expect(show(asked, { ...answer('Old answer.'), id: 'other' })?.text).toBe(
      'That answer is no longer available.\n0. Back',
    );
  });

  it('offers the subscription instead of the ask screen when the quota is used', () => {
    const used = ctx({ questionsToday: 5 });
    const r = dial(['1'], used).last;
    expect(r.reply?.text).toBe(
      'No free questions left today. Get unlimited questions: 30-day plan for KES 20?\n1. Yes, subscribe\n2. No, thanks\n0. Back',
    );
    expect(r.effects).toEqual([
      { type: 'tier', event: 'quota-hit' },
      { type: 'tier', event: 'offer', via: 'quota' },
    ]);
    const accepted = step(journey, r.state, '1', used);
    expect(accepted.reply?.kind).toBe('END');
    expect(accepted.effects).toEqual([
      { type: 'tier', event: 'accept' },
      { type: 'subscribe', until: NOW + 30 * 86_400_000 },
    ]);
  });

  it('lifts the quota for a subscriber', () => {
    const subscribed = ctx({ questionsToday: 50, profile: { subscribedUntil: NOW + 1000 } });
    expect(dial(['1'], subscribed).screens.at(-1)).toBe(
      'CON Type your question.\nLeft today: unlimited\n0. Back',
    );
  });
});

describe('walking a session we have no state for', () => {
  it.each([
    ['2', ACCOUNT_EN],
    ['2*1*2', 'CON Lugha imehifadhiwa: Kiswahili.\n1. Menyu kuu'],
    ['9*2', ACCOUNT_EN],
    ['2*0*3', expect.stringMatching(/^END Choose 1/)],
  ])('text %j gives the screen a fresh session gets by that path', (text, expected) => {
    const r = walk(journey, text, ctx());
    expect(`${r.reply?.kind} ${r.reply?.text}`).toEqual(expected);
  });

  it('gives the rest of the text to a free-text screen', () => {
    expect(walk(journey, '1*what is 2*3', ctx()).effects).toEqual([
      { type: 'ask', question: 'what is 2*3', questionId: 'q1' },
    ]);
  });

  it('keeps the effects of every step it walks, in order', () => {
    expect(walk(journey, '2*1*2*1', ctx()).effects).toEqual([{ type: 'set-language', lang: 'sw' }]);
    const back = walk(journey, '2*1*2*1*2*1*1', ctx());
    expect(back.effects).toEqual([
      { type: 'set-language', lang: 'sw' },
      { type: 'set-language', lang: 'en' },
    ]);
    expect(walk(journey, '2*2*1', ctx()).effects).toEqual([
      { type: 'tier', event: 'offer', via: 'menu' }, // the offer the walk passed through (issue 14)
      { type: 'tier', event: 'accept' },
      { type: 'subscribe', until: NOW + 30 * 86_400_000 },
    ]);
  });

  it('keeps the effects of the steps a live session walks in one hop', () => {
    const main = start(journey, ctx());
    expect(walkFrom(journey, main, '2*1*2*1', ctx()).effects).toEqual([{ type: 'set-language', lang: 'sw' }]);
  });

  it.each([
    ['1*how do i make ors*0', 'how do i make ors'],
    ['1*how do i make ors*0*1', 'how do i make ors'],
    ['1*what is 2*3', 'what is 2*3'],
    ['1*what is a*b', 'what is a*b'],
    ['2*1*00*1*what is 2*3', 'what is 2*3'],
  ])('ends a question reached inside the walk where a menu key follows it: %j', (text, question) => {
    const r = walk(journey, text, ctx());
    expect(r.effects).toEqual([{ type: 'ask', question, questionId: 'q1' }]);
    expect(r.reply).toBeNull(); // the walk stops where an answer is needed
  });

  it('takes the whole new input as the question on the screen the session is on', () => {
    const onAsk = dial(['1']).last;
    expect(walkFrom(journey, onAsk, 'how is 5*0 zero', ctx()).effects).toEqual([
      { type: 'ask', question: 'how is 5*0 zero', questionId: 'q1' },
    ]);
    expect(walkFrom(journey, onAsk, 'a question*0', ctx()).effects).toEqual([
      { type: 'ask', question: 'a question*0', questionId: 'q1' },
    ]);
  });

  // Issue 15 item 6: a `text` of 7,900 '*' was 7,900 steps (~21x a hop's CPU). A real session has a
  // few dozen inputs; past MAX_WALKED_INPUTS the walk stops and the session ends politely.
  it(`walks at most ${MAX_WALKED_INPUTS} inputs and refuses the rest with the error END`, () => {
    const within = `${'9*'.repeat(MAX_WALKED_INPUTS - 2)}2`;
    expect(`${walk(journey, within, ctx()).reply?.kind} ${walk(journey, within, ctx()).reply?.text}`).toBe(
      ACCOUNT_EN,
    );
    for (const text of ['*'.repeat(7900), `${'9*'.repeat(MAX_WALKED_INPUTS)}2`]) {
      const r = walk(journey, text, ctx());
      expect(r.reply).toEqual({ kind: 'END', text: 'Sorry, something went wrong. Please dial again.' });
      expect(r.effects).toEqual([]);
    }
  });

  it('still gives a question full of * to the model whole, however many', () => {
    const question = `what is ${'2*'.repeat(1000)}3`;
    expect(walk(journey, `1*${question}`, ctx()).effects).toEqual([
      { type: 'ask', question, questionId: 'q1' },
    ]);
  });
});

describe('an answer whose stream broke', () => {
  const asked = step(journey, dial(['1']).last.state, 'what is malaria', ctx()).state;
  const broken = (text: string) =>
    showAnswer(
      journey,
      asked,
      ctx({ answer: { id: 'q1', text, done: false, failure: 'error', source: 'model' } }),
    ).reply.text;

  it('shows a few words as the failure, with its retry', () => {
    expect(broken('Malaria is')).toBe('Sorry, we could not get an answer.\n1. Try again\n0. Back');
  });

  it('shows a longer piece marked as cut', () => {
    expect(broken('Malaria is a disease that mosquitoes spread when they bite people at night')).toBe(
      'Malaria is a disease that mosquitoes spread when they bite people at night...\n1. Helpful\n2. Not helpful\n0. Back',
    );
  });
});
