// Options a subscribed phone is not shown (issue 14 item 3: "a subscribed phone is never shown the
// offer"): a menu option may say, as data, `showTo: free` or `showTo: subscribed`. The engine
// lists and numbers only the options for the phone's plan; a hidden option's key is an invalid
// choice, re-shown with the menu's hint. The schema and the journey checks name each misuse.
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadJourney } from '../../src/engine/load.ts';
import { start, step } from '../../src/engine/step.ts';
import type { StepContext } from '../../src/engine/types.ts';
import { MenuError } from '../../src/errors.ts';

const FACTS = { dailyQuota: 5, price: 'KES 20', days: 30 };
const journey = loadJourney('menus', FACTS);
const NOW = Date.UTC(2026, 10, 25, 9, 0);
const DAY = 86_400_000;

function ctx(profile: StepContext['profile']): StepContext {
  return {
    ...{ now: NOW, hopId: 'h', profile, questionsToday: 0, dailyQuota: 5, price: 'KES 20', days: 30 },
    ...{ payments: 'intent', tzOffsetMinutes: 180, answer: null },
  };
}

function dial(keys: string[], c: StepContext): string[] {
  let r = start(journey, c);
  const out = [`${r.reply?.kind} ${r.reply?.text}`];
  for (const key of keys) {
    r = step(journey, r.state, key, c);
    out.push(`${r.reply?.kind} ${r.reply?.text}`);
  }
  return out;
}

const SUBSCRIBED = { subscribedUntil: NOW + 37 * DAY };
const ACCOUNT_PAID_EN =
  'My account\nLeft today: unlimited\nPlan: Subscribed until 1 Jan\nLanguage: English\n1. Change language\n0. Back';
const ACCOUNT_PAID_SW =
  'Akaunti yangu\nYamebaki: bila kikomo\nMpango: Umesajiliwa hadi 1 Jan\nLugha: Kiswahili\n1. Badilisha lugha\n0. Rudi';

describe('My account for a subscribed phone', () => {
  it.each([
    { keys: ['2'], last: `CON ${ACCOUNT_PAID_EN}` },
    { keys: ['2', '2'], last: `CON Invalid choice.\n${ACCOUNT_PAID_EN}` },
    { keys: ['2', '3'], last: `CON Invalid choice.\n${ACCOUNT_PAID_EN}` },
    { keys: ['2', '2', '1'], last: 'CON Choose language\n1. English\n2. Kiswahili\n0. Back' },
    { keys: ['2', '2', '0'], last: expect.stringMatching(/^CON Welcome to Ask\n/) },
  ])('English: $keys → $last', ({ keys, last }) => {
    expect(dial(keys, ctx(SUBSCRIBED)).at(-1)).toEqual(last);
  });

  it.each([
    { keys: ['2'], last: `CON ${ACCOUNT_PAID_SW}` },
    { keys: ['2', '2'], last: `CON Chaguo si sahihi.\n${ACCOUNT_PAID_SW}` },
  ])('Swahili: $keys → $last', ({ keys, last }) => {
    expect(dial(keys, ctx({ ...SUBSCRIBED, lang: 'sw' })).at(-1)).toEqual(last);
  });

  it('a free phone still sees Subscribe as 2', () => {
    expect(dial(['2'], ctx({})).at(-1)).toBe(
      'CON My account\nLeft today: 5\nPlan: Free\nLanguage: English\n1. Change language\n2. Subscribe\n0. Back',
    );
    expect(dial(['2', '2'], ctx({})).at(-1)).toMatch(/^CON Unlimited questions, 30-day plan: KES 20\./);
  });

  it('an option hidden while the menu was on screen is not taken: the phone paid in between', () => {
    const free = start(journey, ctx({}));
    const account = step(journey, free.state, '2', ctx({}));
    expect(account.reply?.text).toContain('2. Subscribe');
    expect(step(journey, account.state, '2', ctx(SUBSCRIBED)).reply?.text).toBe(
      `Invalid choice.\n${ACCOUNT_PAID_EN}`,
    );
  });
});

describe('checking showTo', () => {
  const problems = (dir: string): string[] => {
    try {
      loadJourney(dir, FACTS);
    } catch (error) {
      if (error instanceof MenuError) return error.issues.map((i) => `${i.file} ${i.path}: ${i.message}`);
      throw error;
    }
    return [];
  };
  const fixture = (fix: (yaml: string) => string) => {
    const dir = mkdtempSync(join(tmpdir(), 'menus-show-to-'));
    writeFileSync(
      join(dir, 'journey.yaml'),
      fix(readFileSync('test/fixtures/menus/show-to/journey.yaml', 'utf8')),
    );
    return dir;
  };

  it('names a value that is not free or subscribed, by file and option', () => {
    expect(problems('test/fixtures/menus/show-to')).toEqual([
      'journey.yaml screens.main.options[3].showTo: showTo is free (hidden from a subscribed phone) or subscribed (shown only to one), not "paid"',
    ]);
  });

  it('names a menu left with no option for a plan, and a hidden option that leaves a gap in the keys', () => {
    const dir = fixture((y) => y.replace('showTo: paid', 'showTo: subscribed'));
    expect(problems(dir)).toEqual([
      'journey.yaml screens.main.options[1].showTo: hidden from a subscribed phone, it leaves a gap in the keys that phone sees (1, 3, 4): put it after the options every phone sees, or give every option its key',
      'journey.yaml screens.lonely.options: a subscribed phone would see no option here (every option is showTo: free)',
    ]);
  });

  it('names each gap, first option hidden too, but leaves keys given by hand as they are ("5. Ask" alone)', () => {
    const dir = fixture((y) =>
      y.replace('showTo: paid', 'showTo: subscribed').replace(/(next: keys), showTo: free/, '$1'),
    );
    expect(problems(dir)).toEqual([
      'journey.yaml screens.main.options[1].showTo: hidden from a subscribed phone, it leaves a gap in the keys that phone sees (1, 3, 4): put it after the options every phone sees, or give every option its key',
      'journey.yaml screens.lonely.options[0].showTo: hidden from a subscribed phone, it leaves a gap in the keys that phone sees (2): put it after the options every phone sees, or give every option its key',
    ]);
  });
});

it('the default journey hides My account → Subscribe from a subscribed phone, as data', () => {
  const yaml = readFileSync('menus/ask.yaml', 'utf8');
  expect(yaml).toMatch(/label: \{ en: Subscribe, sw: Jisajili \}, next: subscribe, showTo: free \}/);
});
