// Loads a journey from a menus directory: every *.yaml file but faq.yaml (the FAQ seed, read by
// the inference side). All problems in all files are collected and thrown together as one
// MenuError keyed by file and screen path, so an operator fixes them in one pass (issue 3).
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { parseDocument } from 'yaml';
import type { z } from 'zod';
import { MenuError, type MenuIssue } from '../errors.ts';
import { MENU_FILE, type RawJourney, type RawScreen } from './schema.ts';
import type { Journey, Screen, Text } from './types.ts';
import { type BusinessFacts, validateJourney } from './validate.ts';

/** Files in a menus directory that are not menu files. */
export const NOT_MENU_FILES = new Set(['faq.yaml', 'faq.yml']);

export function loadJourney(dir: string, facts: BusinessFacts): Journey {
  const issues: MenuIssue[] = [];
  const files = listMenuFiles(dir, issues);
  let journeyDef: { file: string; def: RawJourney } | null = null;
  const raw: { file: string; id: string; def: RawScreen }[] = [];

  for (const file of files) {
    const parsed = parseFile(dir, file, issues);
    if (!parsed) continue;
    if (parsed.journey) {
      if (journeyDef)
        issues.push({
          file,
          path: 'journey',
          message: `a second journey block (first in ${journeyDef.file})`,
        });
      else journeyDef = { file, def: parsed.journey };
    }
    for (const [id, def] of Object.entries(parsed.screens ?? {})) {
      const clash = raw.find((s) => s.id === id);
      if (clash)
        issues.push({ file, path: `screens.${id}`, message: `screen id already defined in ${clash.file}` });
      else raw.push({ file, id, def });
    }
  }
  // A file that did not parse may be the one with the journey block: its own problems say so.
  if (files.length > 0 && !journeyDef && issues.length === 0) {
    issues.push({
      file: dir,
      path: 'journey',
      message: 'no file has a journey block (start, languages, texts)',
    });
  }
  if (issues.length > 0 || !journeyDef) throw new MenuError(issues);

  const journey = assemble(journeyDef.file, journeyDef.def, raw);
  issues.push(...validateJourney(journey, journeyDef.file, facts));
  if (issues.length > 0) throw new MenuError(issues);
  return journey;
}

function listMenuFiles(dir: string, issues: MenuIssue[]): string[] {
  try {
    if (!statSync(dir).isDirectory()) throw new Error('not a directory');
    const files = readdirSync(dir)
      .filter((f) => /\.ya?ml$/.test(f) && !NOT_MENU_FILES.has(f))
      .sort();
    if (files.length === 0)
      issues.push({ file: dir, path: '', message: 'no menu files (*.yaml) in this directory' });
    return files;
  } catch (error) {
    issues.push({
      file: dir,
      path: '',
      message: `cannot read the menus directory: ${(error as Error).message}`,
    });
    return [];
  }
}

function parseFile(dir: string, file: string, issues: MenuIssue[]): z.infer<typeof MENU_FILE> | null {
  let source: string;
  try {
    source = readFileSync(join(dir, file), 'utf8');
  } catch (error) {
    issues.push({ file, path: '', message: `cannot read: ${(error as Error).message}` });
    return null;
  }
  const doc = parseDocument(source, { prettyErrors: true });
  if (doc.errors.length > 0) {
    for (const e of doc.errors) {
      const at = e.linePos?.[0];
      issues.push({ file, path: at ? `line ${at.line}` : '', message: `YAML: ${e.message.split('\n')[0]}` });
    }
    return null;
  }
  const result = MENU_FILE.safeParse(doc.toJS() ?? {});
  if (!result.success) {
    for (const i of result.error.issues) issues.push({ file, path: formatPath(i.path), message: i.message });
    return null;
  }
  return result.data;
}

function assemble(
  file: string,
  def: RawJourney,
  raw: { file: string; id: string; def: RawScreen }[],
): Journey {
  const screens = new Map<string, Screen>();
  for (const { file, id, def: s } of raw) {
    const common = { id, file, text: s.text as Text };
    switch (s.type) {
      case 'menu':
        screens.set(id, {
          ...common,
          type: 'menu',
          back: s.back ?? id !== def.start,
          options: s.options.map((o, i) => ({
            key: o.key ?? String(i + 1),
            label: o.label,
            next: o.next,
            ...(o.showTo ? { showTo: o.showTo } : {}),
          })),
        });
        break;
      case 'language':
        screens.set(id, {
          ...common,
          type: 'language',
          back: s.back ?? id !== def.start,
          next: s.next,
          options: s.options.map((o, i) => ({ key: o.key ?? String(i + 1), label: o.label, lang: o.lang })),
        });
        break;
      case 'input': {
        const { type: _t, text: _x, validate, hint, ...rest } = s;
        screens.set(id, {
          ...common,
          ...rest,
          type: 'input',
          ...(validate ? { validate: stripUndefined(validate) } : {}),
          ...(hint ? { hint } : {}),
        });
        break;
      }
      case 'ask':
      case 'offer': {
        const { text: _x, back, ...rest } = s;
        screens.set(id, { ...common, ...stripUndefined(rest), back: back ?? id !== def.start } as Screen);
        break;
      }
      default: {
        const { text: _x, ...rest } = s;
        screens.set(id, { ...common, ...stripUndefined(rest) } as Screen);
      }
    }
  }
  return {
    file,
    start: def.start,
    languages: def.languages,
    defaultLanguage: def.defaultLanguage,
    languageNames: def.languageNames,
    keys: def.keys,
    texts: withQueueTexts(stripUndefined(def.texts), def.languages),
    ...(def.payments ? { payments: stripUndefined(def.payments) } : {}),
    screens,
  };
}

function stripUndefined<T extends object>(o: T): { [K in keyof T]: Exclude<T[K], undefined> } {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as never;
}

export function formatPath(path: readonly PropertyKey[]): string {
  return path.reduce<string>(
    (acc, p) => (typeof p === 'number' ? `${acc}[${p}]` : acc ? `${acc}.${String(p)}` : String(p)),
    '',
  );
}

/** Issue 13's texts where a journey file does not have them (schema.ts QUEUE_TEXT_NAMES). */
const QUEUE_TEXT_DEFAULTS = {
  smsLater: {
    en: 'Your answer will come by SMS in about {minutes} min.',
    sw: 'Jibu lako litakuja kwa SMS baada ya dakika {minutes} hivi.',
  },
  dialLater: {
    en: 'To read your answer, dial again in about {minutes} min.',
    sw: 'Piga tena baada ya dakika {minutes} hivi kusoma jibu lako.',
  },
  pendingOffer: {
    en: 'You have an answer to: {question}\n1. Read\n2. Main menu',
    sw: 'Una jibu la: {question}\n1. Soma\n2. Menyu kuu',
  },
  queuedBehind: {
    en: 'Your question is next after your earlier one: {question}\nIts answer comes in about {minutes} min.\n1. Get answer\n0. Back',
    sw: 'Swali lako linafuata lile la awali: {question}\nJibu lake linakuja baada ya dakika {minutes}.\n1. Pata jibu\n0. Rudi',
  },
  answerLastSms: {
    en: '1. Helpful\n2. Not helpful\n3. Send all by SMS\n0. Back',
    sw: '1. Imesaidia\n2. Haijasaidia\n3. Tuma yote kwa SMS\n0. Rudi',
  },
  smsRequested: {
    en: 'The whole answer is on its way to you by SMS.',
    sw: 'Jibu lote linakuja kwako kwa SMS.',
  },
  smsAnswer: { en: 'Question: {question}\nAnswer: {answer}', sw: 'Swali: {question}\nJibu: {answer}' },
  smsFailed: {
    en: 'Sorry, we could not answer your question: {question}. Please dial again.',
    sw: 'Samahani, hatukuweza kujibu swali lako: {question}. Tafadhali piga tena.',
  },
  waiting: {
    en: 'You already have 2 questions waiting, the last: {question}\nIts answer comes in about {minutes} min.\n1. Try again\n0. Back',
    sw: 'Tayari una maswali 2 yanayosubiri, la mwisho: {question}\nJibu lake linakuja baada ya dakika {minutes}.\n1. Jaribu tena\n0. Rudi',
  },
} as const;

/** {plan} while a payment awaits its verdict, where a journey file does not say it (issue 14). */
const PLAN_PENDING = { en: 'Payment pending', sw: 'Malipo yanasubiriwa' };

function withQueueTexts(texts: RawJourney['texts'], languages: readonly string[]): Journey['texts'] {
  const { waiting, ...failure } = texts.failure;
  // A default in each of the journey's languages: ours where we have it, else the English one.
  const fallback = (d: Record<string, string>): Text =>
    Object.fromEntries(languages.map((l) => [l, d[l] ?? d['en'] ?? '']));
  const pick = (name: keyof typeof QUEUE_TEXT_DEFAULTS) =>
    (texts[name as keyof typeof texts] as Text | undefined) ?? fallback(QUEUE_TEXT_DEFAULTS[name]);
  const { months, planPending, ...rest } = texts;
  return {
    ...rest,
    planPending: (planPending as Text | undefined) ?? fallback(PLAN_PENDING),
    ...(months ? { months: months as Text } : {}),
    smsLater: pick('smsLater') as Text,
    dialLater: pick('dialLater') as Text,
    pendingOffer: pick('pendingOffer') as Text,
    queuedBehind: pick('queuedBehind') as Text,
    answerLastSms: pick('answerLastSms') as Text,
    smsRequested: pick('smsRequested') as Text,
    smsAnswer: pick('smsAnswer') as Text,
    smsFailed: pick('smsFailed') as Text,
    failure: { ...failure, waiting: (waiting as Text | undefined) ?? fallback(QUEUE_TEXT_DEFAULTS.waiting) },
  };
}
