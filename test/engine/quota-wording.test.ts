// The quota and the plan's length on screen read right for every value the settings can take
// (DAILY_QUESTION_QUOTA 0-10000, SUBSCRIPTION_DAYS 1-366): no "your 1 free questions" nor
// "1 days", in English or Swahili (swali/maswali, la/ya). The wordings need no plural forms.
import { describe, expect, it } from 'vitest';
import { loadJourney } from '../../src/engine/load.ts';
import { start, step } from '../../src/engine/step.ts';
import type { StepContext } from '../../src/engine/types.ts';

const NOW = Date.UTC(2026, 10, 25, 9, 0);

function screens(quota: number, days: number, lang: 'en' | 'sw', keys: string[], used = 0): string[] {
  const journey = loadJourney('menus', { dailyQuota: quota, price: 'KES 20', days });
  const c: StepContext = {
    ...{ now: NOW, hopId: 'h', profile: { lang }, questionsToday: used, dailyQuota: quota },
    ...{ price: 'KES 20', days, payments: 'intent', tzOffsetMinutes: 180, answer: null },
  };
  let r = start(journey, c);
  const out = [`${r.reply?.kind} ${r.reply?.text}`];
  for (const key of keys) {
    r = step(journey, r.state, key, c);
    out.push(`${r.reply?.kind} ${r.reply?.text}`);
  }
  return out;
}

describe.each([
  { quota: 1, days: 1 },
  { quota: 5, days: 30 },
  { quota: 0, days: 366 },
])('DAILY_QUESTION_QUOTA=$quota, SUBSCRIPTION_DAYS=$days', ({ quota, days }) => {
  it('the quota screen (1 with no questions left) in English and Swahili', () => {
    expect(screens(quota, days, 'en', ['1'], quota).at(-1)).toBe(
      `CON No free questions left today. Get unlimited questions: ${days}-day plan for KES 20?\n1. Yes, subscribe\n2. No, thanks\n0. Back`,
    );
    expect(screens(quota, days, 'sw', ['1'], quota).at(-1)).toBe(
      `CON Maswali ya bure ya leo yamekwisha. Pata maswali bila kikomo: siku ${days} kwa KES 20?\n1. Ndiyo, jisajili\n2. Hapana, asante\n0. Rudi`,
    );
  });

  it('declining it (1, 2)', () => {
    expect(screens(quota, days, 'en', ['1', '2'], quota).at(-1)).toBe(
      `END No problem. Free questions each day: ${quota}.`,
    );
    expect(screens(quota, days, 'sw', ['1', '2'], quota).at(-1)).toBe(
      `END Sawa. Maswali ya bure kila siku: ${quota}.`,
    );
  });

  it('My account, Subscribe (2, 2)', () => {
    expect(screens(quota, days, 'en', ['2', '2']).at(-1)).toBe(
      `CON Unlimited questions, ${days}-day plan: KES 20.\n1. Subscribe\n2. Not now\n0. Back`,
    );
    expect(screens(quota, days, 'sw', ['2', '2']).at(-1)).toBe(
      `CON Maswali bila kikomo: siku ${days} kwa KES 20.\n1. Jisajili\n2. Si sasa\n0. Rudi`,
    );
  });

  it('accepting it in intent mode (2, 2, 1)', () => {
    expect(screens(quota, days, 'en', ['2', '2', '1']).at(-1)).toBe(
      `END Thank you! Your subscription request is recorded and unlimited questions are on (${days}-day plan). We will contact you about payment.`,
    );
    expect(screens(quota, days, 'sw', ['2', '2', '1']).at(-1)).toBe(
      `END Asante! Ombi lako la usajili limehifadhiwa na maswali bila kikomo yamewashwa kwa siku ${days}. Tutawasiliana nawe kuhusu malipo.`,
    );
  });

  it('Help (3)', () => {
    expect(screens(quota, days, 'en', ['3']).at(-1)).toMatch(
      new RegExp(`press 1 for more of it\\. Free questions each day: ${quota}\\.$`),
    );
    expect(screens(quota, days, 'sw', ['3']).at(-1)).toMatch(
      new RegExp(`bonyeza 1 kupata zaidi\\. Maswali ya bure kila siku: ${quota}\\.$`),
    );
  });
});
