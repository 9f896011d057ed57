// Screens that fit but read badly on a 22-column handset: a wrap that leaves a short last word
// alone on a line, for any value a placeholder takes, in any language, is a warning (issue 16 item
// 6). The default journey has none; a journey with one still loads.
import { copyFileSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadJourney } from '../../src/engine/load.ts';
import { wrapWarnings } from '../../src/engine/readability.ts';
import { runts, wrapScreen } from '../../src/screen/wrap.ts';

const FACTS = { dailyQuota: 5, price: 'KES 20', days: 30 };

/** The default journey with some texts replaced, in a temp menus directory. */
function journeyWith(replacements: [string, string][]) {
  const dir = mkdtempSync(join(tmpdir(), 'ussd-wraps-'));
  let yaml = readFileSync('menus/ask.yaml', 'utf8');
  for (const [from, to] of replacements) {
    expect(yaml).toContain(from);
    yaml = yaml.replace(from, to);
  }
  writeFileSync(join(dir, 'ask.yaml'), yaml);
  copyFileSync('menus/faq.yaml', join(dir, 'faq.yaml'));
  return loadJourney(dir, FACTS);
}

describe('runts', () => {
  it.each([
    ['Questions left today: 5', [{ line: 'Questions left today: 5', word: '5' }]],
    ['Left today: 5', []],
    ['Sorry, the assistant is not available right now.', [{ line: expect.any(String), word: 'now.' }]],
    ['Choose 1 to ask a question in English or Swahili.', []],
    ['Supercalifragilistic expialidocious', []],
  ])('%j', (text, found) => {
    expect(runts(text)).toEqual(found);
  });

  it('reads the screen as the handset wraps it', () => {
    expect(wrapScreen('Questions left today: 5')).toEqual(['Questions left today:', '5']);
  });
});

describe('wrapWarnings', () => {
  it('finds none in the default journey', () => {
    expect(wrapWarnings(loadJourney('menus', FACTS), FACTS)).toEqual([]);
  });

  it('warns of a line that wraps its number onto a line of its own, naming file, screen and value', () => {
    const journey = journeyWith([
      ['"My account\\nLeft today: {questions_left}', '"My account\\nQuestions left today: {questions_left}'],
    ]);
    expect(wrapWarnings(journey, FACTS)).toEqual([
      {
        file: 'ask.yaml',
        path: 'screens.account',
        message:
          'in \'en\', "Questions left today: 0" leaves "0" alone on a line at 22 columns ({questions_left} = 0, {plan} = Free)',
      },
    ]);
  });

  it('tries every value a placeholder takes: "unlimited" for a subscriber', () => {
    const journey = journeyWith([
      [
        'sw: "Andika swali lako.\\nYamebaki: {questions_left}"',
        'sw: "Andika swali lako (yamebaki {questions_left} leo):"',
      ],
    ]);
    expect(wrapWarnings(journey, FACTS).map((w) => [w.path, w.message])).toEqual([
      [
        'screens.ask',
        'in \'sw\', "Andika swali lako (yamebaki bila kikomo leo):" leaves "leo):" alone on a line at 22 columns ({questions_left} = bila kikomo)',
      ],
    ]);
  });

  it('checks the journey texts too', () => {
    const journey = journeyWith([
      [
        'en: "Sorry, the assistant is not available now.',
        'en: "Sorry, the assistant is not available right now.',
      ],
    ]);
    expect(wrapWarnings(journey, FACTS).map((w) => w.path)).toEqual(['journey.texts.failure.down']);
  });
});
