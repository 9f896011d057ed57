// The admin page's outcome section (issue 17, issue 16 item 8): the helpful rate with its count,
// per day; the answers by source and the failures by kind, per day and in the window; the time to
// the first words and to the whole answer by source; how answers reached people. Pure.
import { SOURCES } from './answers.ts';
import type { DayFigures } from './figures.ts';
import { SOURCE_LABELS } from './labels.ts';
import { tableHtml } from './page-table.ts';
import type { Report } from './report.ts';
import { type Bar, barList, COLOURS, compact, dayChart, type Series } from './svg.ts';
import { answerTables, pct } from './tables.ts';

const SOURCE_COLOURS = [COLOURS.blue, COLOURS.green, COLOURS.sky, COLOURS.orange];

export function outcomeSection(
  report: Report,
  days: readonly DayFigures[],
  csv: (id: string) => string | undefined,
): string {
  const t = report.total;
  const helpful = dayChart({
    title: `Helpful: ${pct(t.helpfulRate)} of ${t.rated} answers rated`,
    series: [{ label: 'helpful', colour: COLOURS.green }],
    max: 1,
    format: (v) => `${Math.round(v * 100)}%`,
    points: days.map((d) => ({
      day: d.day,
      values: [d.helpfulRate],
      label: d.rated === 0 ? '' : pct(d.helpfulRate),
      tip:
        d.rated === 0
          ? `${d.day}: no ratings`
          : `${d.day}: ${pct(d.helpfulRate)} helpful (${d.helpful} of ${d.rated} rated)`,
    })),
  });
  const series: Series[] = [
    ...SOURCES.map((s, i) => ({ label: SOURCE_LABELS[s], colour: SOURCE_COLOURS[i] ?? COLOURS.grey })),
    { label: 'failed', colour: COLOURS.vermillion },
  ];
  const sources = dayChart({
    title: `Questions by answer source: ${t.questions} asked, ${t.failedAnswers} failed (${share(t.failedAnswers, t.questions)})`,
    series,
    points: days.map((d) => ({
      day: d.day,
      values: [...SOURCES.map((s) => d.answered[s]), d.failedAnswers],
      tip: `${d.day}: ${d.questions} questions; ${SOURCES.map((s) => `${SOURCE_LABELS[s]} ${d.answered[s]}`).join(', ')}, failed ${d.failedAnswers}`,
    })),
  });
  const failures = barList({
    title: `Failed answers by kind: ${t.failedAnswers} of ${t.questions} questions`,
    bars: report.answers.failures.map((f) => ({
      label: f.kind,
      value: f.count,
      text: `${compact(f.count)} (${share(f.count, t.questions)})`,
      tip: `${f.kind}: ${f.count} questions (${share(f.count, t.questions)}), the asker told after ${f.p50Ms ?? '-'} ms (p50)`,
      colour: COLOURS.vermillion,
    })),
  });
  const answered = report.answers.bySource.filter((s) => s.answered > 0);
  const latency = barList({
    title: 'Time to the first words and to the whole answer, p50 (ms)',
    series: [
      { label: 'first words', colour: COLOURS.sky },
      { label: 'whole answer', colour: COLOURS.blue },
    ],
    bars: answered.flatMap((s): Bar[] => [
      {
        label: `${SOURCE_LABELS[s.source]}: first`,
        value: s.firstP50Ms ?? 0,
        text: `${ms(s.firstP50Ms)} ms`,
        tip: `${SOURCE_LABELS[s.source]}, ${s.answered} answers: first words p50 ${ms(s.firstP50Ms)} ms, p95 ${ms(s.firstP95Ms)} ms`,
        colour: COLOURS.sky,
      },
      {
        label: `${SOURCE_LABELS[s.source]}: whole`,
        value: s.wholeP50Ms ?? 0,
        text: `${ms(s.wholeP50Ms)} ms`,
        tip: `${SOURCE_LABELS[s.source]}, ${s.answered} answers: whole answer p50 ${ms(s.wholeP50Ms)} ms, p95 ${ms(s.wholeP95Ms)} ms`,
      },
    ]),
  });
  const d = report.delivery;
  const delivery = barList({
    title: `How the answers reached people (${d.questions} questions)`,
    bars: (
      [
        ['in session', d.inSession],
        ['at the next dial', d.nextDial],
        ['by SMS', d.bySms],
        ['not yet', d.never],
      ] as const
    ).map(([how, n]) => ({
      label: how,
      value: n,
      text: `${compact(n)} (${share(n, d.questions)})`,
      tip: `${n} answers (${share(n, d.questions)}) ${how}`,
      colour: how === 'not yet' ? COLOURS.grey : COLOURS.purple,
    })),
  });
  return `<section id="outcome"><h2>Do the answers help?</h2>
<ul class="stats">
<li><b>${pct(t.helpfulRate)}</b> helpful (n = ${t.rated} rated)</li><li><b>${t.questions}</b> questions</li>
<li><b>${share(t.failedAnswers, t.questions)}</b> failed (${t.failedAnswers})</li><li><b>${t.deadlineCuts}</b> cut by the deadline</li>
</ul>
<div class="grid">${helpful}${sources}${failures}${latency}${delivery}</div>
<div class="tables">${answerTables(report)
    .map((x) => tableHtml(x, { csv: csv(x.id) }))
    .join('\n')}</div>
<p class="note">First words: from the question to the model's first words, its wait for a model slot included; the cache and the FAQ answer at once, so theirs is the whole answer. Latency is never mixed across sources.</p>
</section>`;
}

function share(n: number, of: number): string {
  return of === 0 ? '-' : pct(n / of);
}

function ms(v: number | null): string {
  return v === null ? '-' : String(Math.round(v));
}
