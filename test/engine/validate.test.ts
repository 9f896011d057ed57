// Whole-journey validation: a valid journey loads; an invalid one reports every problem at once,
// keyed by file and screen path (fixtures in test/fixtures/menus).
import { copyFileSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadJourney } from '../../src/engine/load.ts';
import { start, step } from '../../src/engine/step.ts';
import type { StepContext } from '../../src/engine/types.ts';
import { MenuError } from '../../src/errors.ts';
import { septets } from '../../src/screen/gsm7.ts';

const FACTS = { dailyQuota: 5, price: 'KES 20', days: 30 };

function problems(dir: string, facts: Parameters<typeof loadJourney>[1] = FACTS): string[] {
  try {
    loadJourney(dir, facts);
  } catch (error) {
    if (error instanceof MenuError) return error.issues.map((i) => `${i.file} ${i.path}: ${i.message}`);
    throw error;
  }
  return [];
}

describe('menu validation', () => {
  it('accepts the default journey', () => {
    expect(problems('menus')).toEqual([]);
  });

  it('asks a journey for its payment screens when payments go by M-Pesa', () => {
    expect(problems('menus', { ...FACTS, payments: 'mpesa' })).toEqual([]);
    expect(problems('test/fixtures/menus/ask-first', { ...FACTS, payments: 'mpesa' })).toEqual([
      'journey.yaml journey.payments: required with PAYMENTS_MODE=mpesa: the paid and failed screens',
      "journey.yaml screens.offer.paying: required with PAYMENTS_MODE=mpesa: the 'check your phone' screen",
      'journey.yaml screens.offer.whenPending: required with PAYMENTS_MODE=mpesa: what a phone whose payment is awaited is shown instead of the offer',
    ]);
    expect(problems('test/fixtures/menus/ask-first')).toEqual([]);
  });

  it('reports every problem of every file at once', () => {
    const found = problems('test/fixtures/menus/invalid');
    expect(found).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/^more\.yaml screens\.broken\.options: .*(>=1|at least 1|too small)/i),
        expect.stringMatching(/^more\.yaml screens\.wrongtype\.type: /),
        expect.stringMatching(/^typo\.yaml line \d+: YAML: /),
      ]),
    );
  });

  it('names each cross-screen problem by file and screen path', () => {
    // The schema errors in more.yaml and typo.yaml stop the load before cross-checks, so check journey.yaml alone.
    const found = problemsOf('journey.yaml');
    expect(found).toEqual([
      'journey.yaml screens.main.text.en: not GSM-7 (a phone would show UCS-2, ~80 characters): "“”😀"',
      "journey.yaml screens.main.options[0].next: no screen 'nowhere'",
      "journey.yaml screens.main.options[1].key: key '0' clashes with a navigation key (back/home/more)",
      'journey.yaml screens.orphan.text.sw: unknown placeholder {bogus}; known: {questions_left} {quota} {price} {days} {plan} {language} {until} {reason} {input.<save>}',
      "journey.yaml screens.orphan: not reachable from the start screen 'main'",
      "journey.yaml screens.long: not reachable from the start screen 'main'",
      "journey.yaml screens.long: the screen is 208 septets in 'en'; a screen holds 182",
    ]);
  });

  it('names a missing directory', () => {
    expect(problems('test/fixtures/menus/nope')[0]).toMatch(
      /^test\/fixtures\/menus\/nope : cannot read the menus directory/,
    );
  });

  it('pages a long option list with 98 More, every page within the screen', () => {
    const journey = loadJourney('test/fixtures/menus/paged', FACTS);
    const ctx: StepContext = {
      now: 0,
      hopId: 'h',
      profile: {},
      questionsToday: 0,
      dailyQuota: 5,
      price: 'KES 20',
      days: 30,
      payments: 'intent',
      tzOffsetMinutes: 0,
      answer: null,
    };
    let r = start(journey, ctx);
    const pages = [r.reply!.text];
    while (r.reply!.text.includes('98. More')) {
      r = step(journey, r.state, '98', ctx);
      pages.push(r.reply!.text);
    }
    expect(pages.length).toBeGreaterThan(1);
    for (const page of pages) expect(septets(`Invalid choice.\n${page}`)).toBeLessThanOrEqual(182);
    expect(pages.join('\n').match(/Crop number \d+/g)).toHaveLength(15);
    expect(step(journey, r.state, '15', ctx).reply).toEqual({ kind: 'END', text: 'Done' });
    expect(step(journey, r.state, '0', ctx).reply?.text).toBe(pages.at(-2));
  });
});

function problemsOf(file: string): string[] {
  const dir = mkdtempSync(join(tmpdir(), 'menus-'));
  copyFileSync(join('test/fixtures/menus/invalid', file), join(dir, file));
  return problems(dir);
}
