// The benchmark's tables and verdicts: per-round rows, medians per server, the gateway's ratios to
// the peer and to the ceiling, and each target of issue 7 as PASS/MISS. Formatting only; it must
// not measure anything.
import type { AskFigures } from './ask-scenario.ts';

/** What shared/bench-peer/load.mjs prints with --json. */
export interface LoadFigures {
  hops: number;
  hops_per_s: number;
  p50_ms: number;
  p99_ms: number;
  max_ms: number;
  errors: number;
  timeouts: number;
  violations: number;
  menu_mismatches: number;
  replies_checked: number;
  sessions_started: number;
  first_violation: unknown;
}

/** mixed: shared/bench-peer/load.mjs (account path and a question); account: the account path alone. */
export type LoadKind = 'mixed' | 'account';

export interface Row {
  server: string;
  kind: LoadKind;
  round: number;
  load: LoadFigures;
  rssMb: number;
  cpuSeconds: number;
  wallSeconds: number;
  /** From spawn to the start of the load (start-up and check.mjs). */
  startUpMs?: number;
  /** The gateway's SQLite log: hop rows written by the time it stopped. */
  logRows?: number | null;
}

export interface CheckResult {
  server: string;
  round: number;
  passed: number;
  failed: number;
  failedTexts: string[];
}

const TARGETS = { peerRatio: 3, limitRatio: 0.5, p99Ms: 25, rssMb: 120 };

export function printMenuTable(
  rows: Row[],
  o: { duration: number; connections: number; warmup: number },
): void {
  console.log(
    `\nmenu load: ${o.duration} s at ${o.connections} connections after ${o.warmup} s warm-up; mixed = shared/bench-peer/load.mjs (account path and a question), account = the account path alone`,
  );
  console.log(
    '| server | load | round | hops/s | p50 ms | p99 ms | max ms | errors | violations | wrong replies | CPU s per 1k hops | peak RSS MB |',
  );
  console.log('|---|---|---|---|---|---|---|---|---|---|---|---|');
  for (const r of rows) {
    const l = r.load;
    const wrong = l.replies_checked ? `${((100 * l.menu_mismatches) / l.replies_checked).toFixed(1)}%` : '-';
    console.log(
      `| ${r.server} | ${r.kind} | ${r.round} | ${l.hops_per_s} | ${l.p50_ms} | ${l.p99_ms} | ${l.max_ms} | ${l.errors} | ${l.violations} | ${wrong} | ${cpuPerK(r)} | ${r.rssMb} |`,
    );
  }
  console.log('\nmedian over rounds (range); the ceiling runs the mixed load only and stands for both:');
  console.log('| server | load | hops/s | p99 ms | peak RSS MB | gateway ÷ this |');
  console.log('|---|---|---|---|---|---|');
  const servers = [...new Set(rows.map((r) => r.server))];
  for (const kind of [...new Set(rows.map((r) => r.kind))]) {
    const gw = rows.filter((r) => r.server === 'gateway' && r.kind === kind);
    for (const name of servers) {
      const mine = comparable(rows, name, kind);
      if (mine.length === 0 || (name === 'limit' && kind !== 'mixed')) continue;
      const ratio = name === 'gateway' || gw.length === 0 ? '' : ratioText(gw, mine);
      console.log(
        `| ${name} | ${kind} | ${spread(mine.map((r) => r.load.hops_per_s))} | ${spread(mine.map((r) => r.load.p99_ms))} | ${Math.max(...mine.map((r) => r.rssMb))} | ${ratio} |`,
      );
    }
  }
  for (const r of rows.filter((x) => x.server === 'gateway' && x.kind === rows[0]?.kind)) {
    if (r.logRows !== undefined)
      console.log(
        `gateway round ${r.round}: ${r.logRows ?? '?'} hop rows in its SQLite log (every hop of the round's loads, warm-ups and check)`,
      );
  }
}

/** The rows a gateway row of `kind` compares with: the ceiling's single load stands for every kind. */
function comparable(rows: Row[], server: string, kind: LoadKind): Row[] {
  return rows.filter((r) => r.server === server && (r.kind === kind || server === 'limit'));
}

export interface AskRun {
  figures: AskFigures;
  fake: { generations: number; peakConcurrent: number; slotsBusy: number };
  /** The ideal drain time: askers x one answer's time / slots. */
  idealS: number;
  /** The question hop of a lone asker (ms), before the crowd. */
  loneMs: number[];
}

/** Today's figures (bench/README.md, issue 7's run), printed beside these. */
const BASELINE = { page: 2, thinking: 8, busy: 190 };

export function printAsk(run: AskRun, deadlineMs: number, baselineLoneMs: number | null): void {
  const { figures: a, fake } = run;
  console.log(
    `\nask scenario: ${a.askers} askers within 10 s (dial, 1, a question of their own; "Get answer" every 5 s while waiting, hang up at 180 s), HOP_DEADLINE_MS=${deadlineMs}, SMS on`,
  );
  console.log('| ask hop p50 ms | p99 ms | max ms | over deadline+100 | 5xx | errors | violations |');
  console.log('|---|---|---|---|---|---|---|');
  console.log(
    `| ${a.askP50Ms} | ${a.askP99Ms} | ${a.askMaxMs} | ${a.overDeadline} | ${a.status5xx} | ${a.errors} | ${a.violations} |`,
  );
  console.log('\n| first screen | page | still thinking | by SMS | dial again | busy | other |');
  console.log('|---|---|---|---|---|---|---|');
  console.log(
    `| today (issue 7 run) | ${BASELINE.page} | ${BASELINE.thinking} | - | - | ${BASELINE.busy} | - |`,
  );
  console.log(`| now | ${a.page} | ${a.thinking} | ${a.sms} | ${a.dial} | ${a.busy} | ${a.other} |`);
  console.log(
    `\nanswered: ${a.inSession} in session, ${a.bySms} by SMS; exactly once ${a.exactlyOnce}/${a.askers}, more than once ${a.twice}`,
  );
  console.log(
    `fake Ollama: ${fake.generations} generations, at most ${fake.peakConcurrent} at once, slots busy ${(fake.slotsBusy * 100).toFixed(1)} % while questions waited`,
  );
  console.log(
    `last answer out after ${a.lastAnswerS} s; ideal drain ${run.idealS.toFixed(1)} s (x${(a.lastAnswerS / run.idealS).toFixed(3)})`,
  );
  console.log(
    `lone asker's question hop (first page): ${run.loneMs.join(', ')} ms${baselineLoneMs === null ? '' : `; today ${baselineLoneMs} ms`}`,
  );
  if (a.firstOther) console.log(`first 'other' reply: ${JSON.stringify(a.firstOther)}`);
}

/** Each target as a line; `correct` covers errors, violations and deadlines, `fast` the speed and memory targets. */
export function judge(
  rows: Row[],
  checks: CheckResult[],
  run: AskRun | null,
  deadlineMs: number,
  baselineLoneMs: number | null = null,
) {
  const ask = run?.figures ?? null;
  const lines: string[] = ['targets (issue 7):'];
  let correct = true;
  let fast = true;
  const line = (ok: boolean, kind: 'correct' | 'fast', text: string) => {
    lines.push(`  ${ok ? 'PASS' : 'MISS'}  ${text}`);
    if (!ok && kind === 'correct') correct = false;
    if (!ok && kind === 'fast') fast = false;
  };
  const gw = rows.filter((r) => r.server === 'gateway');
  if (gw.length > 0) {
    const errors = sum(gw.map((r) => r.load.errors));
    const violations = sum(gw.map((r) => r.load.violations));
    line(
      errors === 0 && violations === 0,
      'correct',
      `gateway: ${errors} errors, ${violations} protocol violations`,
    );
    const bad = checks
      .filter((c) => c.server === 'gateway')
      .flatMap((c) => c.failedTexts.filter((text) => !/^1\*./.test(text)));
    const passed = checks.filter((c) => c.server === 'gateway').map((c) => c.passed);
    line(
      bad.length === 0,
      'correct',
      `check.mjs: ${passed.join(', ')} of 22 passed; failures other than the 3 Answer cases: ${bad.length === 0 ? 'none' : JSON.stringify(bad)}`,
    );
    // The targets are on menu hops (the account path) when that load ran, else on the mixed load.
    const kind: LoadKind = gw.some((r) => r.kind === 'account') ? 'account' : 'mixed';
    const menu = gw.filter((r) => r.kind === kind);
    const p99 = median(menu.map((r) => r.load.p99_ms));
    line(
      p99 <= TARGETS.p99Ms,
      'fast',
      `gateway ${kind} p99 ${p99} ms (median of rounds) <= ${TARGETS.p99Ms} ms`,
    );
    const rss = Math.max(...gw.map((r) => r.rssMb));
    line(rss <= TARGETS.rssMb, 'fast', `gateway peak RSS ${rss} MB <= ${TARGETS.rssMb} MB`);
    for (const [name, target] of [
      ['peer', TARGETS.peerRatio],
      ['limit', TARGETS.limitRatio],
    ] as const) {
      const other = comparable(rows, name, kind);
      if (other.length === 0) continue;
      const ratio = median(roundRatios(menu, other));
      line(
        ratio >= target,
        'fast',
        `gateway ${kind} hops/s = ${ratio.toFixed(2)} x the ${name}'s (median of rounds; target >= ${target})`,
      );
    }
  }
  if (ask) {
    line(
      ask.overDeadline === 0,
      'correct',
      `ask: ${ask.overDeadline} ask hops over HOP_DEADLINE_MS + 100 = ${deadlineMs + 100} ms (max ${ask.askMaxMs} ms)`,
    );
    line(
      ask.status5xx === 0 && ask.errors === 0 && ask.violations === 0,
      'correct',
      `ask: ${ask.status5xx} 5xx, ${ask.errors} errors, ${ask.violations} violations`,
    );
    lines.push('targets (issue 13):');
    line(ask.busy === 0, 'correct', `ask: ${ask.busy} "busy"`);
    line(
      ask.exactlyOnce === ask.askers && ask.twice === 0,
      'correct',
      `ask: ${ask.exactlyOnce}/${ask.askers} answered exactly once (${ask.inSession} in session, ${ask.bySms} by SMS), ${ask.twice} more than once`,
    );
  }
  if (run) {
    line(
      run.fake.slotsBusy >= 0.95,
      'fast',
      `ask: model slots busy ${(run.fake.slotsBusy * 100).toFixed(1)} % while questions waited (>= 95 %)`,
    );
    line(
      run.figures.lastAnswerS <= 1.1 * run.idealS,
      'fast',
      `ask: last answer out at ${run.figures.lastAnswerS} s <= 1.1 x the ideal ${run.idealS.toFixed(1)} s`,
    );
    const lone = median(run.loneMs);
    if (baselineLoneMs !== null)
      line(
        lone <= baselineLoneMs * 1.05 + 20,
        'fast',
        `ask: lone asker's first page ${lone} ms, today ${baselineLoneMs} ms (no worse)`,
      );
  }
  return { lines, correct, fast };
}

function ratioText(gw: Row[], other: Row[]): string {
  return `${spread(roundRatios(gw, other), 2)} x`;
}

/** The gateway's hops/s over the other server's, round by round (runs close in time compare best). */
function roundRatios(gw: Row[], other: Row[]): number[] {
  return gw.flatMap((g) => {
    const o = other.find((r) => r.round === g.round);
    return o ? [g.load.hops_per_s / o.load.hops_per_s] : [];
  });
}

function cpuPerK(r: Row): string {
  const hops = (r.load.hops_per_s * r.wallSeconds) / 1000;
  return hops > 0 ? (r.cpuSeconds / hops).toFixed(3) : '-';
}

function spread(xs: number[], digits = 0): string {
  const f = (x: number) => x.toFixed(digits);
  if (xs.length <= 1) return f(xs[0] ?? 0);
  return `${f(median(xs))} (${f(Math.min(...xs))}–${f(Math.max(...xs))})`;
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 ? (s[mid] ?? 0) : ((s[mid - 1] ?? 0) + (s[mid] ?? 0)) / 2;
}

function sum(xs: number[]): number {
  return xs.reduce((a, b) => a + b, 0);
}
