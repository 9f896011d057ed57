// The funnel's columns for the text report and the admin page (report-text.ts SECTIONS): phones at
// each step, revenue, and conversion marked "intent" when no money moved (funnel.ts). Pure.
import type { FunnelFigures } from './funnel.ts';

export const FUNNEL_COLUMNS: readonly [header: string, cell: (f: FunnelFigures) => string][] = [
  ['offered', (f) => String(f.offered)],
  ['via quota/menu', (f) => `${f.offeredFromQuota}/${f.offeredFromMenu}`],
  ['accepted', (f) => String(f.accepted)],
  ['declined', (f) => String(f.declined)],
  ['asked to pay', (f) => String(f.askedToPay)],
  ['paid', (f) => String(f.paid)],
  ['failed', (f) => String(f.failed)],
  ['expired', (f) => String(f.expired)],
  ['revenue KES', (f) => String(f.revenue)],
  ['conversion', (f) => conversion(f)],
];

/** "50%", "80% intent" (accepted / offered, no money moved), or "-" with nobody offered. */
export function conversion(f: FunnelFigures): string {
  if (f.conversionRate === null) return '-';
  const pct = `${Math.round(f.conversionRate * 100)}%`;
  return f.conversionBasis === 'intent' ? `${pct} intent` : pct;
}

/** Why payments failed over the window, e.g. "cancelled 2, wrong-pin 1". */
export function failureLine(f: FunnelFigures): string {
  const parts = Object.entries(f.failures).map(([why, n]) => `${why} ${n}`);
  return parts.length === 0 ? '(none)' : parts.join(', ');
}
