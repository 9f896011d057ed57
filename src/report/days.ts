// Days with nothing logged (issue 17: "28 rows of zeros for a service that started today"): the
// text and the JSON list only the days with something in them and name the empty runs; the page's
// charts put every day of the window back on their axis, the empty ones at zero. Pure.
import { type DayFigures, isEmptyDay, zeroDay } from './figures.ts';

/** A run of consecutive days with nothing logged. */
export interface EmptyDays {
  from: string;
  to: string;
  days: number;
}

const DAY_MS = 86_400_000;

export function collapseDays(all: readonly DayFigures[]): { perDay: DayFigures[]; emptyDays: EmptyDays[] } {
  const perDay: DayFigures[] = [];
  const emptyDays: EmptyDays[] = [];
  for (const d of all) {
    if (!isEmptyDay(d)) {
      perDay.push(d);
      continue;
    }
    const last = emptyDays.at(-1);
    if (last && dayNumber(last.to) + 1 === dayNumber(d.day)) {
      last.to = d.day;
      last.days += 1;
    } else emptyDays.push({ from: d.day, to: d.day, days: 1 });
  }
  return { perDay, emptyDays };
}

/** Every day from `from` to `to` (YYYY-MM-DD), the ones missing from `perDay` at zero. */
export function everyDay(report: { from: string; to: string; perDay: readonly DayFigures[] }): DayFigures[] {
  const byDay = new Map(report.perDay.map((d) => [d.day, d]));
  const out: DayFigures[] = [];
  for (let d = dayNumber(report.from); d <= dayNumber(report.to); d++) {
    const day = new Date(d * DAY_MS).toISOString().slice(0, 10);
    out.push(byDay.get(day) ?? zeroDay(day));
  }
  return out;
}

/** A run of days or a single day as text: "2026-01-06" or "2026-01-06 .. 2026-01-08". */
export function emptyRunText(r: EmptyDays): string {
  return r.days === 1 ? r.from : `${r.from} .. ${r.to}`;
}

function dayNumber(day: string): number {
  return Math.round(Date.parse(`${day}T00:00:00Z`) / DAY_MS);
}
