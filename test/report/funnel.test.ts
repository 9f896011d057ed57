// The paid tier's funnel on hand-worked datasets (issue 14 item 4): every figure worked out below.
// Local time is UTC+3; the window is 2026-01-01 .. 2026-01-02, "now" is Jan 2 20:00.
import { describe, expect, it } from 'vitest';
import type { TierRow } from '../../src/log/types.ts';
import { renderAdminPage } from '../../src/report/admin-page.ts';
import { emptyFunnel } from '../../src/report/funnel.ts';
import { openLogReadOnly } from '../../src/report/read.ts';
import { buildReport, type Report } from '../../src/report/report.ts';
import { formatReportText } from '../../src/report/report-text.ts';
import { tier, useSeededLogFile } from '../log/fixtures.ts';

const TZ = 180;
const local = (day: number, h: number, m = 0) => Date.UTC(2026, 0, day, h, m) - TZ * 60_000;
const NOW = local(2, 20);

type Step = [phone: string, event: TierRow['event'], at: number, extra?: Partial<TierRow>];
const quota = { via: 'quota' } as const;
const menu = { via: 'menu' } as const;
const paid = (amount: number, receipt: string) => ({ amount, receipt });
const why = (reason: string) => ({ reason });

// PAYMENTS_MODE=mpesa. Each phone's story:
const MPESA: Step[] = [
  // A: offered on the quota screen, pays.
  ['A', 'offer', local(1, 9), quota],
  ['A', 'accept', local(1, 9)],
  ['A', 'requested', local(1, 9)],
  ['A', 'paid', local(1, 9, 1), paid(20, 'RA00000001')],
  // B: offered from My account, cancels the prompt; in a second session pays.
  ['B', 'offer', local(1, 10), menu],
  ['B', 'accept', local(1, 10)],
  ['B', 'requested', local(1, 10)],
  ['B', 'failed', local(1, 10, 1), why('cancelled')],
  ['B', 'offer', local(1, 10, 5), menu],
  ['B', 'accept', local(1, 10, 5)],
  ['B', 'requested', local(1, 10, 5)],
  ['B', 'paid', local(1, 10, 6), paid(20, 'RB00000001')],
  // C: declines.
  ['C', 'offer', local(1, 11), quota],
  ['C', 'decline', local(1, 11)],
  // D: wrong PIN.
  ['D', 'offer', local(1, 12), menu],
  ['D', 'accept', local(1, 12)],
  ['D', 'requested', local(1, 12)],
  ['D', 'failed', local(1, 12, 1), why('wrong-pin')],
  // E: offered in two sessions (counted once), accepts, Daraja never answers: expired.
  ['E', 'offer', local(1, 13), quota],
  ['E', 'offer', local(1, 15), quota],
  ['E', 'accept', local(1, 15)],
  ['E', 'requested', local(1, 15)],
  ['E', 'expired', local(1, 15, 10)],
  // F: pays without an offer logged (a session walked past it): revenue, but no phone of a cohort.
  ['F', 'accept', local(1, 16)],
  ['F', 'requested', local(1, 16)],
  ['F', 'paid', local(1, 16, 1), paid(20, 'RF00000001')],
  // H: offered just before midnight, the money confirmed just after.
  ['H', 'offer', local(1, 23, 58), menu],
  ['H', 'accept', local(1, 23, 58)],
  ['H', 'requested', local(1, 23, 59)],
  ['H', 'paid', local(2, 0, 1), paid(20, 'RH00000001')],
  // G: declines on day 2.
  ['G', 'offer', local(2, 9), menu],
  ['G', 'decline', local(2, 9)],
  // I: not enough money, then cancels a second prompt: failed, last because cancelled.
  ['I', 'offer', local(2, 10), quota],
  ['I', 'accept', local(2, 10)],
  ['I', 'requested', local(2, 10)],
  ['I', 'failed', local(2, 10, 1), why('insufficient')],
  ['I', 'requested', local(2, 10, 3)],
  ['I', 'failed', local(2, 10, 4), why('cancelled')],
  // J: declines on the quota screen, then subscribes from My account and pays: one acceptance, no
  // decline (accepted + declined never exceed offered).
  ['J', 'offer', local(2, 11), quota],
  ['J', 'decline', local(2, 11)],
  ['J', 'offer', local(2, 12), menu],
  ['J', 'accept', local(2, 12)],
  ['J', 'requested', local(2, 12)],
  ['J', 'paid', local(2, 12, 1), paid(20, 'RJ00000001')],
];

// PAYMENTS_MODE=intent, rows as the gateway logged them before issue 14 (no `via`): the issue's
// "offers 5, accepts 4, declines 2, conversion 80 %". Accepts and declines from My account had no
// offer row, and P1, already subscribed, accepted again.
const LEGACY: Step[] = [
  ...['P1', 'P2', 'P3', 'P4', 'P5'].map((p, i): Step => [p, 'offer', local(1, 9 + i)]),
  ['P1', 'accept', local(1, 9)],
  ['P2', 'accept', local(1, 10)],
  ['Q1', 'accept', local(1, 11)],
  ['P1', 'accept', local(1, 15)],
  ['P3', 'decline', local(1, 11)],
  ['Q2', 'decline', local(1, 12)],
];

const seed = (steps: Step[], mode: 'intent' | 'mpesa') =>
  useSeededLogFile((log) => {
    for (const [phoneHash, event, at, extra] of steps)
      log.recordTier(
        tier({
          phoneHash,
          event,
          at,
          sessionId: `s-${phoneHash}`,
          ...(mode === 'mpesa' ? { mode } : {}),
          ...extra,
        }),
      );
  });
const mpesaFile = seed(MPESA, 'mpesa');
const legacyFile = seed(LEGACY, 'intent');

function report(path: string): Report {
  const db = openLogReadOnly(path);
  try {
    return buildReport(db, { days: 2, now: NOW, tzOffsetMinutes: TZ });
  } finally {
    db.close();
  }
}

const funnelOf = (f: object | undefined) =>
  Object.fromEntries(Object.keys(emptyFunnel()).map((k) => [k, (f as Record<string, unknown>)[k]]));

describe('the funnel with M-Pesa', () => {
  it('counts day 1: phones A B C D E H offered (F paid unoffered: revenue only)', () => {
    expect(funnelOf(report(mpesaFile.path).perDay[0])).toEqual({
      ...{ offered: 6, offeredFromQuota: 3, offeredFromMenu: 3 }, // A C E; B D H
      ...{ accepted: 5, declined: 1, askedToPay: 5 }, // A B D E H; C
      ...{ paid: 3, failed: 1, expired: 1, failures: { 'wrong-pin': 1 } }, // A B H; D; E
      ...{ revenue: 60, conversionRate: 3 / 6, conversionBasis: 'paid' }, // A B F on day 1
    });
  });

  it('counts day 2: G, I and J offered; H paid after midnight counts in day 2 revenue', () => {
    expect(funnelOf(report(mpesaFile.path).perDay[1])).toEqual({
      ...{ offered: 3, offeredFromQuota: 2, offeredFromMenu: 1 }, // I J (first offer); G
      ...{ accepted: 2, declined: 1, askedToPay: 2 }, // I J; G (J accepted after all)
      ...{ paid: 1, failed: 1, expired: 0, failures: { cancelled: 1 } }, // J; I, last failure cancelled
      ...{ revenue: 40, conversionRate: 1 / 3, conversionBasis: 'paid' }, // H J
    });
  });

  it('counts the window: every phone once, at its first offer; no ratio above 100 %', () => {
    const total = report(mpesaFile.path).total;
    expect(funnelOf(total)).toEqual({
      ...{ offered: 9, offeredFromQuota: 5, offeredFromMenu: 4 }, // A C E I J; B D H G
      ...{ accepted: 7, declined: 2, askedToPay: 7 }, // A B D E H I J; C G
      ...{ paid: 4, failed: 2, expired: 1, failures: { cancelled: 1, 'wrong-pin': 1 } }, // A B H J; D I; E
      ...{ revenue: 100, conversionRate: 4 / 9, conversionBasis: 'paid' }, // A B F H J
    });
    for (const f of [...report(mpesaFile.path).perDay, total]) {
      expect(f.accepted + f.declined).toBeLessThanOrEqual(f.offered);
      expect(f.paid + f.failed + f.expired).toBeLessThanOrEqual(f.askedToPay);
      expect(f.conversionRate ?? 0).toBeLessThanOrEqual(1);
    }
  });

  it('shows the same funnel on the admin page: steps with their rates, revenue, per day', () => {
    const html = renderAdminPage(report(mpesaFile.path), { json: '', days: () => '' });
    const section = html.split('<section id="conversion">')[1]?.split('</section>')[0] ?? '';
    const values = [...section.matchAll(/class="val">([^<]*)</g)].map((m) => m[1]);
    // The funnel: 9 offered, 7 accepted (78 %), 7 asked to pay, 4 paid (44 %); then the offers per
    // day (accepted/offered) and the revenue per day (KES 80 on day 1: A B F; 40 on day 2: H J).
    expect(values).toEqual(['9', '7 (78%)', '7 (78%)', '4 (44%)', '5/6', '2/3', '60', '40']);
    expect(section).toContain('Revenue per day: KES 100 in the window');
    expect(section).toContain('<b>44%</b> conversion');
    expect(section).not.toContain('Intent mode');
    expect(section).toContain('Failed payments by reason: cancelled 1, wrong-pin 1; expired: 1.');
    const foot = section.match(/<tfoot><tr>(.*?)<\/tr>/)?.[1];
    expect(foot).toBe(
      ['total', '0', '9', '5/4', '7', '2', '7', '4', '2', '1', '100', '44%']
        .map((c) => `<th>${c}</th>`)
        .join(''),
    );
  });

  it('prints the funnel with revenue and why payments failed', () => {
    const text = formatReportText(report(mpesaFile.path));
    expect(text).toMatch(/total\s+0\s+9\s+5\/4\s+7\s+2\s+7\s+4\s+2\s+1\s+100\s+44%\n/);
    expect(text).toContain('Failed payments by reason: cancelled 1, wrong-pin 1');
  });
});

describe('the funnel in intent mode, on the rows of the issue', () => {
  it('counts phones: 5 offered, 2 accepted, 1 declined, conversion 40 % marked intent', () => {
    const r = report(legacyFile.path);
    expect(funnelOf(r.total)).toEqual({
      ...emptyFunnel(),
      ...{ offered: 5, offeredFromQuota: 5, accepted: 2, declined: 1 }, // P1 P2; P3 (Q1, Q2: no offer)
      ...{ conversionRate: 2 / 5, conversionBasis: 'intent' },
    });
    expect(formatReportText(r)).toMatch(/total\s+0\s+5\s+5\/0\s+2\s+1\s+0\s+0\s+0\s+0\s+0\s+40% intent\n/);
  });
});
