// The knowledge base over a real directory: indexed at open, re-indexed when a file is added,
// changed or removed while it runs (fs.watch, no reload call), a file broken while running keeps
// the previous index and is logged with its line, and a broken directory at open is a
// KnowledgeError naming every file and line.
import { mkdirSync, mkdtempSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { KnowledgeError } from '../../src/errors.ts';
import { type OpenedKnowledge, openKnowledge } from '../../src/knowledge/base.ts';
import { silentLogger } from '../../src/logger.ts';
import { capturingLogger, until } from '../inference/support.ts';

const BOUNDS = { maxPassages: 2, maxTokens: 300, minRelevance: 0.4 };
const SOURCE = 'Source: https://www.who.int/news-room/fact-sheets/detail/malaria';
const passage = (heading: string, text: string) => `## ${heading}\n${text}\n${SOURCE}\n`;

let dir: string;
let opened: OpenedKnowledge[] = [];
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'ussd-knowledge-'));
  mkdirSync(join(dir, 'en'));
  mkdirSync(join(dir, 'sw'));
  writeFileSync(
    join(dir, 'en', 'malaria.md'),
    passage('Preventing malaria', 'Sleep under a treated net every night.'),
  );
});
afterEach(async () => {
  for (const k of opened) await k.close();
  opened = [];
  rmSync(dir, { recursive: true, force: true });
});

async function open(logger = silentLogger()) {
  const k = await openKnowledge({ dir, bounds: BOUNDS, logger, debounceMs: 30 });
  opened.push(k);
  return k;
}
const first = (k: OpenedKnowledge, q: string, lang = 'en') => k.retrieve(q, lang).passages[0]?.text ?? null;

describe('re-indexing while running', () => {
  it('a file added, changed and removed is picked up without a restart', async () => {
    const k = await open();
    const v0 = k.version;
    expect(first(k, 'How do I make ORS at home?')).toBeNull();

    writeFileSync(
      join(dir, 'en', 'ors.md'),
      passage('Home-made ORS', 'Mix 6 level teaspoons of sugar in 1 litre.'),
    );
    await until(() => first(k, 'How do I make ORS at home?') !== null, 5000, 'the added file');
    expect(first(k, 'How do I make ORS at home?')).toBe('Mix 6 level teaspoons of sugar in 1 litre.');
    expect(k.version).not.toBe(v0);

    // An editor's save: write a temp file, rename it over the old one.
    writeFileSync(
      join(dir, 'en', '.ors.md.swp'),
      passage('Home-made ORS', 'Mix 6 level teaspoons of sugar and half a teaspoon of salt.'),
    );
    renameSync(join(dir, 'en', '.ors.md.swp'), join(dir, 'en', 'ors.md'));
    await until(() => /salt/.test(first(k, 'How do I make ORS at home?') ?? ''), 5000, 'the changed file');

    rmSync(join(dir, 'en', 'ors.md'));
    await until(() => first(k, 'How do I make ORS at home?') === null, 5000, 'the removed file');
    expect(first(k, 'How do I prevent malaria?')).toBe('Sleep under a treated net every night.');
  });

  it('a language folder added while running is watched too', async () => {
    rmSync(join(dir, 'sw'), { recursive: true });
    const k = await open();
    mkdirSync(join(dir, 'sw'));
    await new Promise((r) => setTimeout(r, 200)); // the folder's own watch starts on its event
    writeFileSync(
      join(dir, 'sw', 'malaria.md'),
      passage('Kuzuia malaria', 'Lala ndani ya chandarua kila usiku.'),
    );
    await until(() => (k.counts['sw'] ?? 0) === 1, 5000, 'the Swahili passage');
    expect(first(k, 'Nitazuiaje malaria?', 'sw')).toBe('Lala ndani ya chandarua kila usiku.');
  });

  it('a file broken while running keeps the previous index, and the log names its line', async () => {
    const { logger, lines } = capturingLogger();
    const k = await open(logger);
    writeFileSync(
      join(dir, 'en', 'malaria.md'),
      '## Preventing malaria\nSleep under a net.\nSource: see the WHO site\n',
    );
    await until(() => lines.some((l) => l.level === 'error'), 5000, 'the error line');
    expect(lines.find((l) => l.level === 'error')?.msg).toMatch(
      /not re-indexed, the previous passages still serve: .*en\/malaria\.md:3: Source must be one http\(s\) URL/s,
    );
    expect(first(k, 'How do I prevent malaria?')).toBe('Sleep under a treated net every night.');
    // Fixed: served again.
    writeFileSync(join(dir, 'en', 'malaria.md'), passage('Preventing malaria', 'Sleep under a net.'));
    await until(() => first(k, 'How do I prevent malaria?') === 'Sleep under a net.', 5000, 'the fixed file');
  });
});

describe('a broken directory at open', () => {
  it('is a KnowledgeError naming every file and line', async () => {
    writeFileSync(join(dir, 'en', 'ors.md'), 'ORS saves lives.\n## ORS\nGive ORS.\n');
    writeFileSync(join(dir, 'sw', 'homa.md'), Buffer.from([0x23, 0x23, 0x20, 0x48, 0x0a, 0xff, 0xfe, 0x0a]));
    writeFileSync(join(dir, 'notes.md'), passage('A', 'B.'));
    mkdirSync(join(dir, 'english'));
    const error = await open().then(
      () => null,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(KnowledgeError);
    expect(
      (error as KnowledgeError).issues.map((i) => `${i.file}:${i.line}: ${i.message.split(':')[0]}`),
    ).toEqual([
      'english:0: not a language folder',
      'notes.md:0: outside a language folder',
      'en/ors.md:1: text before the first ## heading belongs to no passage',
      'en/ors.md:2: "ORS" has no Source',
      'sw/homa.md:2: not UTF-8 text',
    ]);
    expect((error as Error).message).toMatch(
      /^\[knowledge\] 5 problem\(s\):\n {2}english: not a language folder/,
    );
  });

  it('a directory that does not exist is named', async () => {
    const missing = join(dir, 'nope');
    await expect(
      openKnowledge({ dir: missing, bounds: BOUNDS, logger: silentLogger(), watch: false }),
    ).rejects.toThrow(`${missing}: cannot read the knowledge directory`);
  });
});
