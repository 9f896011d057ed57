// The admin page's engagement section (issue 17): daily dialers new and returning, sessions and
// questions per user, retention cohorts by week (shaded), and where sessions end. Pure.
import type { DayFigures } from './figures.ts';
import { tableHtml } from './page-table.ts';
import type { Report } from './report.ts';
import { barList, COLOURS, compact, dayChart } from './svg.ts';
import { cohortTable, pct, sessionEndTables } from './tables.ts';

export function engagementSection(
  report: Report,
  days: readonly DayFigures[],
  csv: (id: string) => string | undefined,
): string {
  const t = report.total;
  const dialers = dayChart({
    title: `Daily dialers: ${t.dialers} phones in the window, ${t.newUsers} new`,
    series: [
      { label: 'new', colour: COLOURS.blue },
      { label: 'returning', colour: COLOURS.orange },
    ],
    points: days.map((d) => ({
      day: d.day,
      values: [d.newUsers, d.returningUsers],
      tip: `${d.day}: ${d.dialers} dialers (${d.newUsers} new, ${d.returningUsers} returning), ${d.sessions} sessions`,
    })),
  });
  const e = report.sessionEnds;
  const share = (n: number) => (e.sessions === 0 ? '-' : pct(n / e.sessions));
  const ends = barList({
    title: `Where sessions end: the last screen of ${e.sessions} sessions`,
    bars: e.screens.map((s) => ({
      label: s.screen,
      value: s.sessions,
      text: `${compact(s.sessions)} (${share(s.sessions)})`,
      tip: `${s.sessions} sessions (${share(s.sessions)}) ended on ${s.screen}`,
    })),
  });
  const hops = barList({
    title: 'Hops per session',
    bars: e.hops.map((h) => ({
      label: `${h.hops} hop${h.hops === '1' ? '' : 's'}`,
      value: h.sessions,
      text: `${compact(h.sessions)} (${share(h.sessions)})`,
      tip: `${h.sessions} sessions (${share(h.sessions)}) made ${h.hops} hops`,
      colour: COLOURS.sky,
    })),
  });
  const [endTable, hopTable] = sessionEndTables(report);
  const cohorts = cohortTable(report);
  return `<section id="engagement"><h2>Do users engage?</h2>
<ul class="stats">
<li><b>${t.dialers}</b> dialers</li><li><b>${t.newUsers}</b> new</li><li><b>${t.returningUsers}</b> returning</li>
<li><b>${dec(t.sessionsPerUser)}</b> sessions per user</li><li><b>${dec(t.questionsPerUser)}</b> questions per user</li>
<li><b>${pct(t.retentionD1)}</b> back on day 1</li><li><b>${pct(t.retentionD7)}</b> back within 7 days</li>
</ul>
<div class="grid">${dialers}${ends}${hops}</div>
${tableHtml(cohorts, { csv: csv(cohorts.id), shade: [2, 3, 4] })}
<p class="note">Of the phones first seen in a week, the share that dialled again on the next day, within 7 days and within 28; "-" until that day is over for one of them (kept/counted in brackets).</p>
${endTable ? tableHtml(endTable, { csv: csv(endTable.id), collapsed: true }) : ''}
${hopTable ? tableHtml(hopTable, { csv: csv(hopTable.id), collapsed: true }) : ''}
</section>`;
}

function dec(v: number | null): string {
  return v === null ? '-' : v.toFixed(2);
}
