// AT's end-of-session `cost` comes as "KES 0.10" in some sources and as a bare "0.1" in others
// (shared/research/at-protocol.md §4: the sources disagree), so it is kept raw and parsed leniently.
// Pure; never throws.

export interface ParsedCost {
  amount: number | null;
  currency: string | null;
}

/** "KES 0.10" → 0.1 KES; "0.1" → 0.1 and no currency; "1,000.50 UGX" → 1000.5 UGX; garbage → nulls. */
export function parseCost(raw: string | number | null | undefined): ParsedCost {
  if (typeof raw === 'number') return { amount: Number.isFinite(raw) ? raw : null, currency: null };
  const text = (raw ?? '').trim();
  const m = /^(?:([A-Za-z]{3})\s*)?(-?[\d,]*\.?\d+)(?:\s*([A-Za-z]{3}))?$/.exec(text);
  if (!m) return { amount: null, currency: null };
  const amount = Number((m[2] ?? '').replace(/,/g, ''));
  const currency = (m[1] ?? m[3])?.toUpperCase() ?? null;
  return { amount: Number.isFinite(amount) ? amount : null, currency };
}
