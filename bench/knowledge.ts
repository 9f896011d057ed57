// `npm run bench:knowledge`: what the knowledge base costs (issue 18). Reading and parsing the
// files (async fs, off the event loop), building the in-memory FTS5 index (synchronous CPU: it
// holds the event loop, so it is measured), and one retrieval (on every question's path), for the
// starter base and for a synthetic base SCALE times its size (the starter passages with their
// headings and words varied, in a temp dir). Retrieval runs the eval's questions REPEAT times.
// env: SCALE (100), REPEAT (200). Prints medians and p99s in ms.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadQuestions } from '../src/eval/questions.ts';
import { openKnowledge } from '../src/knowledge/base.ts';
import { createFtsIndex } from '../src/knowledge/sqlite.ts';
import { silentLogger } from '../src/logger.ts';

const SCALE = Number(process.env['SCALE'] ?? 100);
const REPEAT = Number(process.env['REPEAT'] ?? 200);
const BOUNDS = { maxPassages: 2, maxTokens: 300, minRelevance: 0.4 };

async function measure(dir: string, label: string): Promise<void> {
  const opens: { readMs: number; indexMs: number }[] = [];
  let base = await openKnowledge({ dir, bounds: BOUNDS, logger: silentLogger(), watch: false });
  for (let i = 0; i < 5; i++) {
    await base.close();
    base = await openKnowledge({ dir, bounds: BOUNDS, logger: silentLogger(), watch: false });
    opens.push(base.timings);
  }
  // The index build alone, many times: the part that holds the event loop.
  const builds: number[] = [];
  for (let i = 0; i < 20; i++) {
    const t = performance.now();
    createFtsIndex(base.passages).close();
    builds.push(performance.now() - t);
  }
  const questions = await loadQuestions('eval/questions.yaml');
  const times: number[] = [];
  let found = 0;
  for (let r = 0; r < REPEAT; r++) {
    for (const q of questions) {
      const t = performance.now();
      const got = base.retrieve(q.q, q.lang);
      times.push(performance.now() - t);
      if (r === 0 && got.passages.length > 0) found++;
    }
  }
  const passages = base.passages.length;
  await base.close();
  process.stdout.write(
    `${label}: ${passages} passages; read+parse median ${ms(median(opens.map((o) => o.readMs)))}, ` +
      `index build median ${ms(median(builds))} (max ${ms(Math.max(...builds))}); ` +
      `retrieve median ${ms(median(times), 3)}, p99 ${ms(quantile(times, 0.99), 3)} over ${times.length} ` +
      `(${found}/${questions.length} questions with passages)\n`,
  );
}

/** The starter base SCALE times over: each file's passages with numbered headings and a marker word. */
async function synthetic(): Promise<string> {
  const dir = mkdtempSync(join(tmpdir(), 'ussd-knowledge-bench-'));
  const base = await openKnowledge({
    dir: 'knowledge',
    bounds: BOUNDS,
    logger: silentLogger(),
    watch: false,
  });
  for (const lang of ['en', 'sw']) mkdirSync(join(dir, lang));
  for (let k = 0; k < SCALE; k++) {
    const byFile = new Map<string, string[]>();
    for (const p of base.passages) {
      const text = `## ${p.heading} ${k}\n\n${p.text} Variant${k} word${k % 97}.\nSource: ${p.sources[0]}\n`;
      byFile.set(p.file, [...(byFile.get(p.file) ?? []), text]);
    }
    for (const [file, sections] of byFile)
      writeFileSync(join(dir, file.replace(/\.md$/, `-${k}.md`)), sections.join('\n'));
  }
  await base.close();
  return dir;
}

function median(xs: number[]): number {
  return quantile(xs, 0.5);
}

function quantile(xs: number[], q: number): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor(q * s.length))] ?? 0;
}

function ms(v: number, digits = 1): string {
  return `${v.toFixed(digits)} ms`;
}

await measure('knowledge', 'starter base');
const dir = await synthetic();
try {
  await measure(dir, `synthetic x${SCALE}`);
} finally {
  rmSync(dir, { recursive: true, force: true });
}
