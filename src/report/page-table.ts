// The admin page's tables: a table of tables.ts as HTML, with its CSV download link, in a box that
// scrolls by itself when wider than a phone (the page never scrolls sideways: issue 17). Rates can
// be shaded (the cohort table, the topics' helpful rate): the deeper the blue, the higher. Pure.
import { esc } from './svg.ts';
import type { Table } from './tables.ts';

export interface TableOptions {
  /** The CSV download's URL, or none. */
  csv?: string | undefined;
  /** Columns whose cells are shaded by the leading percentage they hold. */
  shade?: readonly number[];
  /** Wrap in a <details> closed by default, with this summary. */
  collapsed?: boolean;
}

export function tableHtml(t: Table, o: TableOptions = {}): string {
  const shade = new Set(o.shade ?? []);
  const cell = (c: string, i: number) => {
    if (!shade.has(i)) return `<td>${esc(c)}</td>`;
    const m = /^(\d+)%/.exec(c);
    if (!m) return `<td class="na">${esc(c)}</td>`;
    const r = Number(m[1]) / 100;
    // Alpha from 0.08 (0 %) to 0.9 (100 %): a 0 % cell is still a cell with a figure, unlike "-".
    const alpha = 0.08 + 0.82 * r;
    const ink = alpha > 0.5 ? '#fff' : '#111';
    // "25% (1/4)": the count under the rate, so a cohort row fits a phone.
    const [rate, rest] = [m[0], c.slice(m[0].length).trim()];
    const detail = rest ? `<small>${esc(rest.replace(/^\((.*)\)$/, '$1'))}</small>` : '';
    return `<td style="background:rgba(0,114,178,${alpha.toFixed(2)});color:${ink}">${esc(rate)}${detail}</td>`;
  };
  const csv = o.csv ? ` <a class="csv" href="${esc(o.csv)}" download="${esc(t.id)}.csv">CSV</a>` : '';
  const table = `<div class="tw"><table id="t-${esc(t.id)}"${t.days || t.id === 'cohorts' ? ' class="dated"' : ''}><thead><tr>${t.head.map((h) => `<th>${esc(h)}</th>`).join('')}</tr></thead>
<tbody>${t.rows.length === 0 ? `<tr><td colspan="${t.head.length}">none yet</td></tr>` : t.rows.map((r) => `<tr>${r.map(cell).join('')}</tr>`).join('\n')}</tbody>${
    t.foot ? `<tfoot><tr>${t.foot.map((c) => `<th>${esc(c)}</th>`).join('')}</tr></tfoot>` : ''
  }</table></div>`;
  if (o.collapsed)
    return `<details><summary>${esc(t.title)}</summary>${csv ? `<p>${csv}</p>` : ''}${table}</details>`;
  return `<div class="tb"><h3>${esc(t.title)}${csv}</h3>${table}</div>`;
}
