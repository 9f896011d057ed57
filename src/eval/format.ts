// The eval as text for a terminal: a row per question (score, the checks it failed, time to first
// screen, tokens, passages, the first screen itself), then the run's summary; with --compare, one
// row per question across the runs and their summaries side by side. Pure.
import type { EvalResult } from './run.ts';
import type { EvalSummary } from './summary.ts';

export interface EvalRun {
  model: string;
  /** "on (40 passages)" or "off". */
  knowledge: string;
  shape: string;
  results: EvalResult[];
  summary: EvalSummary;
}

export function formatRun(run: EvalRun): string {
  const rows = run.results.map((r) => [
    r.question.id,
    r.question.lang,
    r.question.kind,
    pct(r.scored.score),
    r.scored.checks
      .filter((c) => !c.pass)
      .map((c) => c.name)
      .join(',') || '-',
    r.firstScreenMs === null ? '-' : String(r.firstScreenMs),
    r.source === 'model' ? `${r.tokensIn}/${r.tokensOut}` : (r.source ?? '-'),
    r.passages === null ? '-' : String(r.passages.length),
    clip(r.firstScreen, 60),
  ]);
  const header = ['id', 'lang', 'kind', 'score', 'failed', 'screen ms', 'tokens', 'notes', 'first screen'];
  return [title(run), table([header, ...rows]), '', ...summaryLines(run.summary), ''].join('\n');
}

/** Several runs of the same questions: scores side by side, then each run's summary. */
export function formatComparison(runs: readonly EvalRun[]): string {
  const first = runs[0];
  if (!first) return '';
  const header = ['id', 'lang', 'kind', ...runs.map((r) => r.model)];
  const rows = first.results.map((res, i) => [
    res.question.id,
    res.question.lang,
    res.question.kind,
    ...runs.map((run) => {
      const r = run.results[i];
      if (!r) return '-';
      const failed = r.scored.checks.filter((c) => !c.pass).map((c) => c.name);
      return `${pct(r.scored.score)}${failed.length ? ` (${failed.join(',')})` : ''}`;
    }),
  ]);
  const summaries = runs.flatMap((run) => ['', title(run), ...summaryLines(run.summary)]);
  return [table([header, ...rows]), ...summaries, ''].join('\n');
}

function title(run: EvalRun): string {
  return `model ${run.model}, knowledge ${run.knowledge}, prompt shape ${run.shape}`;
}

function summaryLines(s: EvalSummary): string[] {
  const kinds = Object.entries(s.byKind).map(([k, v]) => `${k} ${pct(v.score)} (${v.questions})`);
  const checks = Object.entries(s.byCheck).map(([k, v]) => `${k} ${v.passed}/${v.checked}`);
  return [
    `score ${pct(s.score)} over ${s.questions} questions; ${s.passed} passed every check`,
    `by kind:  ${kinds.join(', ')}`,
    `by check: ${checks.join(', ')}`,
    `first screen p50 ${ms(s.firstScreenP50Ms)}, p95 ${ms(s.firstScreenP95Ms)}; ` +
      `tokens per model answer: ${s.tokensInMean} in, ${s.tokensOutMean} out; ` +
      `${s.grounded} with passages, ${s.faq} answered by the FAQ`,
  ];
}

function table(rows: string[][]): string {
  const widths = rows[0]?.map((_, i) => Math.max(...rows.map((r) => (r[i] ?? '').length))) ?? [];
  const line = (r: string[]) =>
    r
      .map((c, i) => (i === r.length - 1 ? c : c.padEnd(widths[i] ?? 0)))
      .join('  ')
      .trimEnd();
  const [head, ...body] = rows;
  return [line(head ?? []), widths.map((w) => '-'.repeat(w)).join('  '), ...body.map(line)].join('\n');
}

function pct(x: number): string {
  return `${Math.round(x * 100)}%`;
}

function ms(v: number | null): string {
  return v === null ? '-' : `${v} ms`;
}

function clip(text: string, n: number): string {
  return text.length <= n ? text : `${text.slice(0, n - 3)}...`;
}
