// One run's figures from its scored results: the mean score the gate (--min-score) compares, and
// where the points were lost (per kind of question, per check), time to first screen, tokens. Pure.
import { type EvalKind, KINDS } from './questions.ts';
import type { EvalResult } from './run.ts';
import type { CheckName } from './score.ts';

export interface EvalSummary {
  questions: number;
  /** Questions that passed every check. */
  passed: number;
  /** Mean of the questions' scores, 0..1. */
  score: number;
  byKind: Partial<Record<EvalKind, { questions: number; score: number }>>;
  byCheck: Partial<Record<CheckName, { checked: number; passed: number }>>;
  firstScreenP50Ms: number | null;
  firstScreenP95Ms: number | null;
  tokensInMean: number;
  tokensOutMean: number;
  /** Questions whose prompt carried at least one passage. */
  grounded: number;
  /** Questions the FAQ answered (they never reach the model). */
  faq: number;
}

export function summarize(results: readonly EvalResult[]): EvalSummary {
  const n = results.length;
  const mean = (xs: number[]) => (xs.length === 0 ? 0 : xs.reduce((a, b) => a + b, 0) / xs.length);
  const byKind: EvalSummary['byKind'] = {};
  for (const kind of KINDS) {
    const of = results.filter((r) => r.question.kind === kind);
    if (of.length > 0) byKind[kind] = { questions: of.length, score: mean(of.map((r) => r.scored.score)) };
  }
  const byCheck: EvalSummary['byCheck'] = {};
  for (const r of results) {
    for (const c of r.scored.checks) {
      const s = byCheck[c.name] ?? { checked: 0, passed: 0 };
      s.checked++;
      if (c.pass) s.passed++;
      byCheck[c.name] = s;
    }
  }
  const times = results
    .flatMap((r) => (r.firstScreenMs === null ? [] : [r.firstScreenMs]))
    .sort((a, b) => a - b);
  const asked = results.filter((r) => r.source === 'model');
  return {
    questions: n,
    passed: results.filter((r) => r.scored.pass).length,
    score: mean(results.map((r) => r.scored.score)),
    byKind,
    byCheck,
    firstScreenP50Ms: nearestRank(times, 50),
    firstScreenP95Ms: nearestRank(times, 95),
    tokensInMean: Math.round(mean(asked.map((r) => r.tokensIn))),
    tokensOutMean: Math.round(mean(asked.map((r) => r.tokensOut))),
    grounded: results.filter((r) => (r.passages?.length ?? 0) > 0).length,
    faq: results.filter((r) => r.source === 'faq').length,
  };
}

function nearestRank(sorted: readonly number[], p: number): number | null {
  if (sorted.length === 0) return null;
  return sorted[Math.max(0, Math.ceil((p / 100) * sorted.length) - 1)] ?? null;
}
