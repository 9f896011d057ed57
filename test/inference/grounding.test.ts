// Knowledge in the answer pipeline (issue 18), against the fake Ollama, which records every prompt:
// the question's passages reach the prompt (and the other language's do not), the relevance floor
// leaves unrelated ones out, the constant prefix stays byte-identical for Ollama's cache, the
// passages are logged with the question, and a question the FAQ answers never reaches the model.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { buildMessages, systemPrompt } from '../../src/inference/prompt.ts';
import { type OpenedKnowledge, openKnowledge } from '../../src/knowledge/base.ts';
import { silentLogger } from '../../src/logger.ts';
import { DEFAULT_KNOBS, type FakeOllama, startFakeOllama } from '../helpers/fake-ollama.ts';
import { askFor, buildAnswerer } from './support.ts';

const BOUNDS = { maxPassages: 2, maxTokens: 300, minRelevance: 0.4 };
let fake: FakeOllama;
let base: OpenedKnowledge;
beforeAll(async () => {
  fake = await startFakeOllama();
  base = await openKnowledge({ dir: 'knowledge', bounds: BOUNDS, logger: silentLogger(), watch: false });
});
afterAll(async () => {
  await base.close();
  await fake.close();
});
afterEach(() => {
  fake.set(DEFAULT_KNOBS);
  fake.requests.length = 0;
});

const passage = (id: string) => {
  const p = base.passages.find((x) => x.id === id);
  if (!p) throw new Error(`no passage ${id}`);
  return p;
};

async function ask(question: string, lang = 'en', knowledge: OpenedKnowledge | null = base) {
  const built = buildAnswerer(fake.url, knowledge ? { knowledge } : {});
  const before = fake.prompts().length;
  const { req } = askFor(question, 2000, { lang });
  const answer = await built.answerer.ask(req);
  await built.answerer.close();
  return { answer, prompts: fake.prompts().slice(before), rows: built.log.questions, cache: built.cache };
}

describe('the passages reach the prompt', () => {
  it('an English question: its passages with the question, last; no Swahili passage anywhere', async () => {
    const { prompts, rows } = await ask('How do I make ORS at home?');
    expect(prompts).toHaveLength(1);
    const messages = prompts[0] ?? [];
    const last = messages.at(-1);
    const ors = passage('en/ors.md#Home-made ORS');
    expect(last?.role).toBe('user');
    expect(last?.content.startsWith(`Notes:\n- Home-made ORS: ${ors.text}\n`)).toBe(true);
    expect(last?.content.endsWith('\n\nQuestion: How do I make ORS at home?')).toBe(true);
    const everything = JSON.stringify(messages);
    for (const sw of base.passages.filter((p) => p.lang === 'sw')) expect(everything).not.toContain(sw.text);
    expect(rows[0]?.source).toBe('model');
    expect(rows[0]?.passages?.[0]).toBe('en/ors.md#Home-made ORS');
    expect(rows[0]?.passages?.every((id) => id.startsWith('en/'))).toBe(true);
    expect(rows[0]?.prompt).toContain(ors.text);
  });

  it('a Swahili question: Swahili passages, none of the English ones, even in an English session', async () => {
    for (const lang of ['sw', 'en']) {
      const { prompts, rows } = await ask('Nitatengenezaje ORS nyumbani?', lang);
      const last = prompts[0]?.at(-1)?.content ?? '';
      expect(last).toContain(passage('sw/ors.md#ORS ya kutengeneza nyumbani').text);
      expect(last.endsWith('Question: Nitatengenezaje ORS nyumbani?')).toBe(true);
      for (const en of base.passages.filter((p) => p.lang === 'en')) expect(last).not.toContain(en.text);
      expect(rows[0]?.passages?.every((id) => id.startsWith('sw/'))).toBe(true);
    }
  });

  it('the relevance floor leaves unrelated passages out: the question alone, logged as none found', async () => {
    for (const q of ['What is the capital of France?', 'How do I store my phone safely in the rain?']) {
      const { prompts, rows } = await ask(q);
      expect(prompts[0]?.at(-1)).toEqual({ role: 'user', content: q });
      expect(prompts[0]?.at(-1)?.content).not.toContain('Notes:');
      expect(rows[0]?.passages).toEqual([]); // asked, none: the report's to-do list
    }
  });

  it('keeps the constant part first and byte-identical, grounded or not, for the prefix cache', async () => {
    const a = (await ask('How do I make ORS at home?')).prompts[0] ?? [];
    const b = (await ask('What is the capital of France?')).prompts[0] ?? [];
    const c = (await ask('How should I store my maize?')).prompts[0] ?? [];
    expect(a[0]).toEqual({ role: 'system', content: systemPrompt('en') });
    expect(JSON.stringify(a.slice(0, -1))).toBe(JSON.stringify(b.slice(0, -1)));
    expect(JSON.stringify(c.slice(0, -1))).toBe(JSON.stringify(b.slice(0, -1)));
    // The fake renders the prompt as Ollama's template does and counts what its cache could not hold.
    const fresh = fake.uncachedTokens.slice(-3);
    for (const n of fresh.slice(1)) expect(n).toBeLessThan(150);
  });

  it('without a knowledge base, prompts are as before: the question alone, passages not logged', async () => {
    const { prompts, rows } = await ask('How do I make ORS at home?', 'en', null);
    expect(prompts[0]?.at(-1)).toEqual({ role: 'user', content: 'How do I make ORS at home?' });
    expect(rows[0]?.passages).toBeNull();
  });
});

describe('the FAQ still short-circuits', () => {
  it('a FAQ question never reaches the model, and the knowledge base is not asked', async () => {
    const { answer, prompts, rows } = await ask('Is it free?');
    expect(answer).toMatchObject({ source: 'faq', done: true, text: 'Your daily questions are free.' });
    expect(prompts).toEqual([]);
    expect(fake.generations()).toEqual([]);
    expect(rows[0]).toMatchObject({ source: 'faq', passages: null });
  });
});

describe('the answer cache follows the knowledge base', () => {
  it('a new version of the base is a new cache key: changed passages, a new answer', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'ussd-grounding-'));
    mkdirSync(join(dir, 'en'));
    const write = (text: string) =>
      writeFileSync(
        join(dir, 'en', 'ors.md'),
        `## Home-made ORS\n${text}\nSource: https://rehydrate.org/x\n`,
      );
    write('Mix 6 level teaspoons of sugar.');
    const k = await openKnowledge({ dir, bounds: BOUNDS, logger: silentLogger(), watch: false });
    try {
      const built = buildAnswerer(fake.url, { knowledge: k });
      const once = async () => built.answerer.ask(askFor('Home-made ORS?', 2000).req);
      expect((await once()).source).toBe('model');
      expect((await once()).source).toBe('cache');
      write('Mix 6 level teaspoons of sugar and half a teaspoon of salt.');
      await k.reload();
      expect((await once()).source).toBe('model');
      expect(fake.prompts().at(-1)?.at(-1)?.content).toContain('half a teaspoon of salt');
      await built.answerer.close();
    } finally {
      await k.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('prompt shapes', () => {
  const notes = [{ heading: 'Home-made ORS', text: 'Mix 6 level teaspoons of sugar.' }];

  it('notes-last: notes with the question, context between them for the JSON API', () => {
    const m = buildMessages('How?', 'en', 'My child is 2.', notes);
    expect(m.at(-1)?.content).toBe(
      'Notes:\n- Home-made ORS: Mix 6 level teaspoons of sugar.\n\nContext: My child is 2.\n\nQuestion: How?',
    );
    expect(m.filter((x) => x.role === 'system')).toHaveLength(1);
  });

  it('notes-system (measured by the eval, not used): a second system message, the question alone', () => {
    const m = buildMessages('How?', 'en', undefined, notes, 'notes-system');
    expect(m[1]).toEqual({
      role: 'system',
      content: 'Notes:\n- Home-made ORS: Mix 6 level teaspoons of sugar.',
    });
    expect(m.at(-1)).toEqual({ role: 'user', content: 'How?' });
  });
});
