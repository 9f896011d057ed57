// The admin page's conversion section (issue 17, issue 14 item 4): the funnel offered → accepted →
// asked to pay → paid with counts and rates at each step, phones offered and accepted per day,
// revenue per day and in the window; intent mode (no money moves) labelled as such. Pure.
import type { DayFigures } from './figures.ts';
import { conversion, failureLine } from './funnel-text.ts';
import { tableHtml } from './page-table.ts';
import type { Report } from './report.ts';
import { barList, COLOURS, compact, dayChart } from './svg.ts';
import { dailyTables, pct } from './tables.ts';

export function conversionSection(
  report: Report,
  days: readonly DayFigures[],
  csv: (id: string) => string | undefined,
): string {
  const t = report.total;
  const intent = t.conversionBasis === 'intent';
  const steps = [
    ['offered', t.offered],
    ['accepted', t.accepted],
    ['asked to pay', t.askedToPay],
    ['paid', t.paid],
  ] as const;
  const funnel = barList({
    title: `Funnel (phones, the window): conversion ${conversion(t)}`,
    max: Math.max(1, t.offered),
    bars: steps.map(([step, n], i) => {
      const before = i === 0 ? null : (steps[i - 1]?.[1] ?? 0);
      const ofOffered = t.offered === 0 ? '-' : pct(n / t.offered);
      const stepRate = before === null ? '' : `, ${before === 0 ? '-' : pct(n / before)} of the step before`;
      // With intent nobody is asked to pay: those steps are not zeros but not applicable.
      const na = intent && i >= 2;
      return {
        label: step,
        value: n,
        text: na ? 'n/a (intent)' : i === 0 ? compact(n) : `${compact(n)} (${ofOffered})`,
        tip: `${n} phones ${step}: ${ofOffered} of those offered${stepRate}`,
        colour: i < 2 ? COLOURS.blue : COLOURS.green,
      };
    }),
  });
  const offered = dayChart({
    title: 'Phones offered per day, accepted or not',
    series: [
      { label: 'accepted', colour: COLOURS.blue },
      { label: 'not accepted', colour: COLOURS.orange },
    ],
    points: days.map((d) => ({
      day: d.day,
      values: [d.accepted, d.offered - d.accepted],
      label: d.offered === 0 ? '' : `${compact(d.accepted)}/${compact(d.offered)}`,
      tip: `${d.day}: ${d.offered} offered (${d.offeredFromQuota} quota screen, ${d.offeredFromMenu} My account), ${d.accepted} accepted, ${d.declined} declined, ${d.paid} paid: ${conversion(d)}`,
    })),
  });
  const revenue = dayChart({
    title: `Revenue per day: KES ${t.revenue} in the window`,
    series: [{ label: 'KES', colour: COLOURS.green }],
    points: days.map((d) => ({
      day: d.day,
      values: [d.revenue],
      tip: `${d.day}: KES ${d.revenue} confirmed, ${d.paid} phones paid`,
    })),
  });
  const daily = dailyTables(report).find((x) => x.id === 'funnel-daily');
  const mode = intent
    ? '<p class="mode" role="note"><b>Intent mode</b> (PAYMENTS_MODE=intent): no money moves; conversion is phones that accepted ÷ phones offered, marked "intent".</p>'
    : '<p class="note">Conversion: phones that paid ÷ phones offered. Revenue: the shillings M-Pesa confirmed that day.</p>';
  return `<section id="conversion"><h2>Will they pay?</h2>
${mode}
<ul class="stats">
<li><b>${t.offered}</b> phones offered (${t.offeredFromQuota} quota screen, ${t.offeredFromMenu} My account)</li>
<li><b>${t.accepted}</b> accepted</li><li><b>${t.askedToPay}</b> asked to pay</li><li><b>${t.paid}</b> paid</li>
<li><b>KES ${t.revenue}</b> revenue</li><li><b>${conversion(t)}</b> conversion</li>
</ul>
<div class="grid">${funnel}${offered}${intent && t.revenue === 0 ? '' : revenue}</div>
<p class="note">Failed payments by reason: ${failureLine(t)}; expired: ${t.expired}.</p>
${daily ? tableHtml(daily, { csv: csv(daily.id) }) : ''}
</section>`;
}
