// The report window an admin request asks for: `?days=N` (1..MAX_DAYS) ending today, or a custom
// `?from=YYYY-MM-DD&to=YYYY-MM-DD` in local days (issue 17's window selector). Whatever is not a
// valid window falls back to the default, so a mistyped link still shows a report. Pure.

export const DEFAULT_DAYS = 28;
export const MAX_DAYS = 366;
const DAY_MS = 86_400_000;
const DATE = /^\d{4}-\d{2}-\d{2}$/;

export interface Window {
  days: number;
  /** The report's "now": the request's time, or the last millisecond of a range ending before today. */
  now: number;
}

export function parseWindow(query: Record<string, string>, now: number, tzOffsetMinutes: number): Window {
  const off = tzOffsetMinutes * 60_000;
  const today = Math.floor((now + off) / DAY_MS);
  const from = dayOf(query.from);
  const to = dayOf(query.to) ?? (from === null ? null : today);
  if (from !== null && to !== null && from <= to) {
    const last = Math.min(to, today);
    const first = Math.max(from, last - MAX_DAYS + 1);
    if (first <= last)
      return { days: last - first + 1, now: last === today ? now : (last + 1) * DAY_MS - off - 1 };
  }
  const n = Number(query.days ?? DEFAULT_DAYS);
  return { days: Number.isInteger(n) ? Math.min(Math.max(n, 1), MAX_DAYS) : DEFAULT_DAYS, now };
}

function dayOf(s: string | undefined): number | null {
  if (s === undefined || !DATE.test(s)) return null;
  const t = Date.parse(`${s}T00:00:00Z`);
  return Number.isNaN(t) ? null : t / DAY_MS;
}
