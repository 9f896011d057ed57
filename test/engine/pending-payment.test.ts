// A phone whose payment is pending (pushed, no verdict from M-Pesa yet): My account says so, and
// the offer, from My account or from the quota screen, says the payment is awaited instead of
// selling it again (accepting would send no second push while it is held: PENDING_HOLD_MS).
import { describe, expect, it } from 'vitest';
import { loadJourney } from '../../src/engine/load.ts';
import { PENDING_HOLD_MS } from '../../src/engine/offer.ts';
import { start, step } from '../../src/engine/step.ts';
import type { Effect, StepContext } from '../../src/engine/types.ts';
import { MenuError } from '../../src/errors.ts';
import type { PaymentNotice } from '../../src/types.ts';

const FACTS = { dailyQuota: 5, price: 'KES 20', days: 30, payments: 'mpesa' } as const;
const journey = loadJourney('menus', FACTS);
const NOW = Date.UTC(2026, 10, 25, 9, 0);

function ctx(payment: PaymentNotice | undefined, lang: 'en' | 'sw', questionsToday = 0): StepContext {
  return {
    ...{ now: NOW, hopId: 'h', profile: { lang, ...(payment ? { payment } : {}) }, questionsToday },
    ...{ dailyQuota: 5, price: 'KES 20', days: 30, payments: 'mpesa', tzOffsetMinutes: 180, answer: null },
  };
}

function dial(keys: string[], c: StepContext) {
  let r = start(journey, c);
  const screens = [`${r.reply?.kind} ${r.reply?.text}`];
  const effects: Effect[] = [...r.effects];
  for (const key of keys) {
    r = step(journey, r.state, key, c);
    screens.push(`${r.reply?.kind} ${r.reply?.text}`);
    effects.push(...r.effects);
  }
  return { screens, effects };
}

const pending = (ago: number): PaymentNotice => ({ id: 'p1', status: 'pending', at: NOW - ago });
const AWAITED_EN =
  'END We are waiting for M-Pesa to confirm your payment of KES 20. Dial again in a few minutes to see it.';
const AWAITED_SW =
  'END Tunasubiri M-Pesa ithibitishe malipo yako ya KES 20. Piga tena baada ya dakika chache kuyaona.';

describe('a payment pending, a minute after the push', () => {
  it.each([
    {
      lang: 'en',
      account:
        'CON My account\nLeft today: 5\nPlan: Payment pending\nLanguage: English\n1. Change language\n2. Subscribe\n0. Back',
      awaited: AWAITED_EN,
    },
    {
      lang: 'sw',
      account:
        'CON Akaunti yangu\nYamebaki: 5\nMpango: Malipo yanasubiriwa\nLugha: Kiswahili\n1. Badilisha lugha\n2. Jisajili\n0. Rudi',
      awaited: AWAITED_SW,
    },
  ] as const)('$lang: My account (2) shows the plan as pending; Subscribe (2, 2) says it is awaited', (c) => {
    const { screens, effects } = dial(['2', '2'], ctx(pending(60_000), c.lang));
    expect(screens.slice(1)).toEqual([c.account, c.awaited]);
    expect(effects).toEqual([]); // no offer shown, none logged, nothing pushed
  });

  it.each([
    ['en', AWAITED_EN],
    ['sw', AWAITED_SW],
  ] as const)('%s: with no questions left, Ask (1) says the payment is awaited too', (lang, awaited) => {
    const { screens, effects } = dial(['1'], ctx(pending(60_000), lang, 5));
    expect(screens[1]).toBe(awaited);
    expect(effects).toEqual([{ type: 'tier', event: 'quota-hit' }]);
  });

  it('the offer drawn before the push (another session paid meanwhile): accepting sends no second push', () => {
    const free = ctx(undefined, 'en');
    const offer = step(journey, step(journey, start(journey, free).state, '2', free).state, '2', free);
    expect(offer.reply?.text).toMatch(/^Unlimited questions/);
    const accepted = step(journey, offer.state, '1', ctx(pending(60_000), 'en'));
    expect(accepted.reply?.text).toBe('Check your phone: enter your M-Pesa PIN to pay KES 20.');
    expect(accepted.effects.map((e) => e.type)).not.toContain('pay');
  });
});

describe('a payment still pending after the hold, when accepting would push again', () => {
  it('shows the plan as pending and offers the subscription again, as accepting would ask anew', () => {
    const { screens, effects } = dial(['2', '2', '1'], ctx(pending(PENDING_HOLD_MS), 'en'));
    expect(screens[1]).toContain('\nPlan: Payment pending\n');
    expect(screens[2]).toMatch(/^CON Unlimited questions, 30-day plan: KES 20\./);
    expect(effects.at(-1)).toEqual({ type: 'pay', offer: 'subscribe' });
  });
});

describe('without a payment, or after its verdict', () => {
  it.each([
    ['none', undefined, 'Plan: Free'],
    ['failed', { id: 'p1', status: 'failed', failure: 'cancelled', at: NOW - 60_000 }, 'Plan: Free'],
  ] as const)('%s: Plan: Free', (_name, payment, plan) => {
    const c = ctx(payment as PaymentNotice | undefined, 'en');
    const seen = { ...c, profile: { ...c.profile, paymentSeen: 'p1' } };
    expect(dial(['2'], seen).screens[1]).toContain(`\n${plan}\n`);
  });
});

it('asks an mpesa journey for the screen of a payment awaited (offer whenPending)', () => {
  let issues: string[] = [];
  try {
    loadJourney('test/fixtures/menus/ask-first', FACTS);
  } catch (error) {
    if (error instanceof MenuError) issues = error.issues.map((i) => `${i.file} ${i.path}: ${i.message}`);
  }
  expect(issues).toContain(
    'journey.yaml screens.offer.whenPending: required with PAYMENTS_MODE=mpesa: what a phone whose payment is awaited is shown instead of the offer',
  );
});
