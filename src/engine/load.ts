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
  if (files.length > 0 && !journeyDef) {
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
          options: s.options.map((o, i) => ({ key: o.key ?? String(i + 1), label: o.label, next: o.next })),
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
    texts: stripUndefined(def.texts),
    ...(def.payments ? { payments: def.payments } : {}),
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
