// The admin page's charts, drawn on the server as inline SVG (issue 17): a day chart (stacked
// columns, one per day of the window, the empty days as points on the axis) and a bar list
// (labelled horizontal bars). Every chart has its axes and labels and the values that matter
// written on it; each mark carries its exact figure in a <title> (hover) and in a tip shown while
// it has focus (tap). Colours are Okabe & Ito's, told apart by the colour-blind, and every series
// is named in a legend. Server-rendered so the page needs no script, no library and no request
// beyond itself: it works offline and under the admin's CSP. Pure.

/** Okabe & Ito's colour-blind-safe palette. */
export const COLOURS = {
  blue: '#0072B2',
  orange: '#E69F00',
  sky: '#56B4E9',
  green: '#009E73',
  vermillion: '#D55E00',
  purple: '#CC79A7',
  grey: '#6b6b6b',
} as const;

export interface Series {
  label: string;
  colour: string;
}

export interface DayPoint {
  /** YYYY-MM-DD */
  day: string;
  /** One value per series (stacked bottom-up); null: no figure that day. */
  values: (number | null)[];
  /** The exact figures, for the tip. */
  tip: string;
  /** Written above the column; default: the stack's total when not zero. */
  label?: string;
}

// About a phone's width in CSS pixels, so text is drawn near its size on a phone (390 px).
const W = 340;
// The top keeps room for a two-line tip above the plot, where no mark is drawn over it.
const PAD = { left: 30, right: 6, top: 30, bottom: 30 };
const FONT = 11;

/** Stacked columns per day. `max`: the scale's top (1 for rates), else the largest stack. */
export function dayChart(o: {
  title: string;
  series: readonly Series[];
  points: readonly DayPoint[];
  max?: number;
  format?: (v: number) => string;
  height?: number;
}): string {
  const H = o.height ?? 170;
  const fmt = o.format ?? compact;
  const plotW = W - PAD.left - PAD.right;
  const plotH = H - PAD.top - PAD.bottom;
  const stackOf = (p: DayPoint) => p.values.reduce<number>((s, v) => s + (v ?? 0), 0);
  const top = o.max ?? niceMax(Math.max(0, ...o.points.map(stackOf)));
  const n = Math.max(1, o.points.length);
  const slot = plotW / n;
  const barW = Math.max(1, Math.min(28, slot * 0.72));
  const y = (v: number) => PAD.top + plotH - (top === 0 ? 0 : (v / top) * plotH);
  const ticks = o.max === 1 ? [0, 0.5, 1] : tickValues(top);
  const grid = ticks
    .map(
      (t) =>
        `<line x1="${PAD.left}" x2="${W - PAD.right}" y1="${f(y(t))}" y2="${f(y(t))}" class="grid"/>` +
        `<text x="${PAD.left - 4}" y="${f(y(t) + 3)}" text-anchor="end" class="ax">${esc(fmt(t))}</text>`,
    )
    .join('');
  // Values on every column when they fit; else on the highest and the last with a figure.
  const labelled = new Set<number>();
  const labels = o.points.map((p) => p.label ?? (stackOf(p) === 0 ? '' : fmt(stackOf(p))));
  const fits = labels.every((l) => l.length * FONT * 0.55 <= slot + 2);
  if (fits) for (let i = 0; i < o.points.length; i++) labelled.add(i);
  else {
    let hi = -1;
    o.points.forEach((p, i) => {
      if (labels[i] && (hi < 0 || stackOf(p) > stackOf(o.points[hi] as DayPoint))) hi = i;
    });
    if (hi >= 0) labelled.add(hi);
    const last = labels.findLastIndex((l) => l !== '');
    if (last >= 0) labelled.add(last);
  }
  const marks = o.points.map((p, i) => {
    const cx = PAD.left + slot * i + slot / 2;
    let base = 0;
    const rects = p.values.map((v, k) => {
      if (v === null || v === 0) return '';
      const r = `<rect x="${f(cx - barW / 2)}" y="${f(y(base + v))}" width="${f(barW)}" height="${f(y(base) - y(base + v))}" fill="${o.series[k]?.colour ?? COLOURS.grey}"/>`;
      base += v;
      return r;
    });
    // A day with no figure, or all zero, is still a point on the axis.
    const dot = stackOf(p) === 0 ? `<circle cx="${f(cx)}" cy="${f(y(0))}" r="2" class="zero"/>` : '';
    const label =
      labelled.has(i) && labels[i]
        ? `<text x="${f(inside(cx, labels[i] ?? ''))}" y="${f(y(stackOf(p)) - 3)}" text-anchor="middle" class="val">${esc(labels[i] ?? '')}</text>`
        : '';
    const hit = `<rect x="${f(cx - slot / 2)}" y="${PAD.top}" width="${f(slot)}" height="${plotH}" class="hit"/>`;
    return `<g class="pt" tabindex="0"><title>${esc(p.tip)}</title>${hit}${rects.join('')}${dot}${label}${tip(p.tip, cx)}</g>`;
  });
  return figure(
    o.title,
    o.series,
    H,
    `${grid}<line x1="${PAD.left}" x2="${W - PAD.right}" y1="${f(y(0))}" y2="${f(y(0))}" class="axis"/>${dateTicks(o.points, slot, y(0))}${marks.join('')}`,
  );
}

export interface Bar {
  label: string;
  value: number;
  /** Written at the bar's end; default: the value. */
  text?: string;
  tip: string;
  colour?: string;
}

/** Horizontal bars, one per item, labelled on the left and valued at their end. */
export function barList(o: {
  title: string;
  bars: readonly Bar[];
  max?: number;
  series?: readonly Series[];
}): string {
  const rowH = 24;
  const labelW = 112;
  const H = PAD.top + rowH * Math.max(1, o.bars.length) + 18;
  // Room at the bars' end for the longest value written there.
  const reserve = Math.max(40, ...o.bars.map((b) => (b.text ?? String(b.value)).length * FONT * 0.6 + 6));
  const plotW = Math.max(40, W - labelW - PAD.right - reserve);
  const top = o.max ?? Math.max(1, ...o.bars.map((b) => b.value));
  const rows = o.bars.map((b, i) => {
    const y0 = PAD.top + i * rowH;
    const w = top === 0 ? 0 : (b.value / top) * plotW;
    return (
      `<g class="pt" tabindex="0"><title>${esc(b.tip)}</title>` +
      `<rect x="0" y="${y0}" width="${W}" height="${rowH}" class="hit"/>` +
      `<text x="${labelW - 6}" y="${y0 + 16}" text-anchor="end" class="ax">${esc(clip(b.label, 22))}</text>` +
      `<rect x="${labelW}" y="${y0 + 4}" width="${f(Math.max(w, b.value > 0 ? 1.5 : 0))}" height="${rowH - 8}" fill="${b.colour ?? COLOURS.blue}"/>` +
      `<text x="${f(labelW + w + 4)}" y="${y0 + 16}" class="val">${esc(b.text ?? String(b.value))}</text>` +
      `${tip(b.tip, W / 2, y0 + 2)}</g>`
    );
  });
  const axisY = PAD.top + rowH * o.bars.length;
  const axis = `<line x1="${labelW}" x2="${labelW}" y1="${PAD.top}" y2="${axisY}" class="axis"/>`;
  const body =
    o.bars.length === 0
      ? `<text x="${W / 2}" y="${PAD.top + 15}" text-anchor="middle" class="ax">none yet</text>`
      : '';
  return figure(o.title, o.series ?? [], H, `${axis}${rows.join('')}${body}`);
}

/** A count written on a chart: exact below 10,000, then 12.3k, 123k, 1.2M (the tip is exact). */
export function compact(v: number): string {
  const a = Math.abs(v);
  if (a < 10_000) return String(Math.round(v * 100) / 100);
  const short = (x: number, digits: number) => x.toFixed(digits).replace(/\.0$/, '');
  if (a < 1_000_000) return `${short(v / 1000, a < 100_000 ? 1 : 0)}k`;
  return `${short(v / 1_000_000, 1)}M`;
}

export function esc(s: string): string {
  return s.replace(
    /[&<>"']/g,
    (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c] ?? c,
  );
}

function figure(title: string, series: readonly Series[], H: number, body: string): string {
  const legend =
    series.length > 1
      ? `<p class="legend">${series.map((s) => `<span><i style="background:${s.colour}"></i>${esc(s.label)}</span>`).join('')}</p>`
      : '';
  return `<figure><figcaption>${esc(title)}</figcaption>${legend}
<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 ${W} ${H}" role="img" aria-label="${esc(title)}">${body}</svg></figure>`;
}

/**
 * A tip (the exact figure) drawn above the plot, or above its bar, while the mark is hovered or focused: one
 * line, or two when too long for the chart's width (cut at the comma nearest the middle).
 */
function tip(text: string, cx: number, bottom?: number): string {
  const charW = 5.6;
  let lines = [text];
  if (text.length * charW + 10 > W - 4) {
    const cuts = [...text.matchAll(/[;,] /g)].map((m) => m.index ?? 0);
    const mid = cuts.sort((a, b) => Math.abs(a - text.length / 2) - Math.abs(b - text.length / 2))[0];
    if (mid !== undefined) lines = [text.slice(0, mid + 1), text.slice(mid + 2)];
  }
  const w = Math.min(W - 4, Math.max(...lines.map((l) => l.length)) * charW + 10);
  // Above the plot (day charts keep its room free), or just above its bar (bar lists).
  const y = bottom === undefined ? 0 : bottom - 2 - 13 * lines.length;
  const x = Math.min(Math.max(2, cx - w / 2), W - 2 - w);
  const rows = lines
    .map(
      (l, i) => `<text x="${f(x + w / 2)}" y="${f(y + 11 + i * 13)}" text-anchor="middle">${esc(l)}</text>`,
    )
    .join('');
  return `<g class="tip"><rect x="${f(x)}" y="${f(y)}" width="${f(w)}" height="${2 + 13 * lines.length}" rx="3"/>${rows}</g>`;
}

/** Date labels under the axis: at most 6, the first and the last day among them. */
function dateTicks(points: readonly DayPoint[], slot: number, y0: number): string {
  const n = points.length;
  if (n === 0) return '';
  const every = Math.max(1, Math.ceil(n / 6));
  const out: string[] = [];
  for (let i = 0; i < n; i += every) {
    // The last day is labelled below; no label just before it, where the two would overlap.
    if (i !== 0 && n - 1 - i < every && i !== n - 1) continue;
    out.push(tickAt(points[i]?.day ?? '', PAD.left + slot * i + slot / 2, y0));
  }
  if ((n - 1) % every !== 0)
    out.push(tickAt(points[n - 1]?.day ?? '', PAD.left + slot * (n - 1) + slot / 2, y0));
  return out.join('');
}

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

function tickAt(day: string, x: number, y0: number): string {
  const [, m, d] = day.split('-');
  const text = `${Number(d)} ${MONTHS[Number(m) - 1] ?? ''}`;
  return `<line x1="${f(x)}" x2="${f(x)}" y1="${f(y0)}" y2="${f(y0 + 4)}" class="axis"/><text x="${f(inside(x, text))}" y="${f(y0 + 16)}" text-anchor="middle" class="ax">${text}</text>`;
}

/** A round number at or above `v` (at least 1), not far above it, so the columns fill the plot. */
function niceMax(v: number): number {
  if (v <= 1) return 1;
  const p = 10 ** Math.floor(Math.log10(v));
  for (const m of [1, 1.2, 1.5, 2, 2.5, 3, 4, 5, 6, 8, 10]) if (m * p >= v) return Math.round(m * p);
  return 10 * p;
}

function tickValues(top: number): number[] {
  if (top <= 2) return top === 2 ? [0, 1, 2] : [0, top];
  const step = top / (top % 4 === 0 && top >= 4 ? 4 : top % 5 === 0 && top >= 5 ? 5 : 2);
  const out: number[] = [];
  for (let t = 0; t <= top + 1e-9; t += step) out.push(Math.round(t * 100) / 100);
  return out;
}

/** A centred text's x moved so the whole text stays inside the chart. */
function inside(cx: number, text: string): number {
  const half = (text.length * FONT * 0.6) / 2;
  return Math.min(Math.max(cx, half), W - half);
}

function clip(s: string, n: number): string {
  return s.length <= n ? s : `${s.slice(0, n - 1)}…`;
}

function f(v: number): string {
  return String(Math.round(v * 10) / 10);
}
