// Shared tools of the fault suite (issue 8): the suite's short limits, the journey's exact screens,
// a phone that times and checks every hop, and the tally each fault writes to the summary
// (summary-setup.ts prints it). Every fault is real; nothing here simulates one. The server
// process and its log file: fault-gateway.ts.
import { appendFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect, inject } from 'vitest';
import { loadJourney } from '../../src/engine/load.ts';
import { t as inLang } from '../../src/engine/render.ts';
import type { Text } from '../../src/engine/types.ts';
import { cleanScreen, SCREEN_SEPTETS } from '../../src/screen/fit.ts';
import { isGsm, septets } from '../../src/screen/gsm7.ts';
import type { AnswerFailure } from '../../src/types.ts';
import { PROJECT_ROOT } from '../helpers/gateway-process.ts';

declare module 'vitest' {
  export interface ProvidedContext {
    /** The run's summary lines (JSON, one per fault), from summary-setup.ts. */
    faultSummaryFile: string;
  }
}

/** Short enough to keep the suite quick, long enough for the model's share and a commit. */
export const DEADLINE_MS = 1500;
export const COMMAND_TIMEOUT_MS = 300;

export const FAULT_ENV: Readonly<Record<string, string>> = {
  HOP_DEADLINE_MS: String(DEADLINE_MS),
  REDIS_COMMAND_TIMEOUT_MS: String(COMMAND_TIMEOUT_MS),
  LOG_FLUSH_MS: '50',
  ANSWER_TIMEOUT_MS: '2000',
  DAILY_QUESTION_QUOTA: '1000',
  LOG_LEVEL: 'info',
};

/** The default journey (menus/), so the expected screens follow its texts as they change. */
const JOURNEY = loadJourney(join(PROJECT_ROOT, 'menus'), { dailyQuota: 1000, price: 'KES 20', days: 30 });
const en = (text: Text) => cleanScreen(inLang(text, 'en'));
const mainScreen = JOURNEY.screens.get(JOURNEY.start);

/** Exact screens (English) of the journey's system texts, as the phone gets them. */
export const SCREENS = {
  /** The polite END of the error funnel. */
  error: `END ${en(JOURNEY.texts.error)}`,
  /** The polite END of a rate limit. */
  limited: `END ${en(JOURNEY.texts.limited)}`,
  thinking: `CON ${en(JOURNEY.texts.thinking)}`,
  failure: (f: AnswerFailure) => `CON ${en(JOURNEY.texts.failure[f])}`,
  /** The first line of the start screen. */
  main: `CON ${mainScreen ? en(mainScreen.text).split('\n')[0] : ''}`,
  /** The question screen up to its counter (the first placeholder). */
  ask: `CON ${en(JOURNEY.screens.get('ask')?.text ?? { en: '' }).split('{')[0]}`,
};

/** What one fault did, as printed in the summary. */
export interface Tally {
  fault: string;
  /** Set by the test once it has seen the fault take effect (not merely attempted). */
  injected: boolean;
  hops: number;
  overDeadline: number;
  fiveXx: number;
  maxMs: number;
  /** Bodies of 200 replies that are not a valid phone screen. */
  badScreens: string[];
  rowsExpected: number | null;
  rowsFound: number | null;
  /** Rows a fault may lose by design (SIGKILL: those of the last flush interval); 0 for every other. */
  allowedLoss: number;
  note: string;
}

/**
 * Runs one fault: the body injects it and fills the tally; the summary line is written whatever
 * happens, then the suite's targets are asserted (every hop in time, no 5xx, valid screens, rows).
 */
export async function fault(name: string, body: (t: Tally) => Promise<void>): Promise<void> {
  const t: Tally = {
    fault: name,
    injected: false,
    hops: 0,
    overDeadline: 0,
    fiveXx: 0,
    maxMs: 0,
    badScreens: [],
    rowsExpected: null,
    rowsFound: null,
    allowedLoss: 0,
    note: '',
  };
  let error: unknown = null;
  try {
    await body(t);
  } catch (e) {
    error = e;
  }
  const lost = (t.rowsExpected ?? 0) - (t.rowsFound ?? 0);
  const rowsOk =
    t.rowsExpected === t.rowsFound || (t.rowsFound !== null && lost >= 0 && lost <= t.allowedLoss);
  const survived =
    error === null &&
    t.injected &&
    t.overDeadline === 0 &&
    t.fiveXx === 0 &&
    t.badScreens.length === 0 &&
    rowsOk;
  const why =
    error === null
      ? ''
      : String((error as Error)?.message ?? error)
          .split('\n')[0]
          ?.slice(0, 160);
  const file = inject('faultSummaryFile');
  if (file) appendFileSync(file, `${JSON.stringify({ ...t, survived, error: why })}\n`);
  if (error !== null) throw error;
  expect(t.injected, `${name}: the fault never took effect`).toBe(true);
  expect(t.badScreens, `${name}: replies that are not valid screens`).toEqual([]);
  expect(t.fiveXx, `${name}: 5xx replies`).toBe(0);
  expect(t.overDeadline, `${name}: replies over ${DEADLINE_MS} ms (max ${t.maxMs} ms)`).toBe(0);
  if (t.allowedLoss === 0) expect(t.rowsFound, `${name}: rows in the log`).toBe(t.rowsExpected);
  else expect(rowsOk, `${name}: ${lost} rows lost, at most ${t.allowedLoss} allowed`).toBe(true);
}

/** Why `body` is not a valid screen for a feature phone, or null when it is. */
export function screenProblem(body: string): string | null {
  const m = /^(CON|END) ([\s\S]+)$/.exec(body);
  if (!m) return 'no "CON "/"END " prefix';
  const text = m[2] ?? '';
  if (!isGsm(text)) return 'not GSM-7';
  if (septets(text) > SCREEN_SEPTETS) return `${septets(text)} septets`;
  if (text.trim() === '') return 'empty';
  if (/undefined|NaN|\[object |Error\b|\bat .+:\d+:\d+/.test(text)) return 'internals leaked';
  return null;
}

export interface HopResult {
  status: number;
  body: string;
  type: string;
  ms: number;
  /** Epoch ms the reply arrived. */
  at: number;
}

export interface HopFields {
  sessionId: string;
  text: string;
  phoneNumber?: string;
  serviceCode?: string;
  networkCode?: string;
}

/**
 * A phone dialling the gateway as AT does: every hop is timed, checked and counted in `t`.
 * `path` is the callback path (with a CALLBACK_SECRET, `/ussd/<secret>`).
 */
export function createDialer(baseUrl: string, t: Tally, defaults: Partial<HopFields> = {}, path = '/ussd') {
  return async function hop(fields: HopFields): Promise<HopResult> {
    const body = new URLSearchParams({
      serviceCode: '*384*123#',
      phoneNumber: '+254711000001',
      networkCode: '63902',
      ...defaults,
      ...fields,
    });
    const started = Date.now();
    const res = await fetch(`${baseUrl}${path}`, {
      method: 'POST',
      body,
      signal: AbortSignal.timeout(DEADLINE_MS + 10_000),
    });
    const text = await res.text();
    const result: HopResult = {
      status: res.status,
      body: text,
      type: res.headers.get('content-type') ?? '',
      ms: Date.now() - started,
      at: Date.now(),
    };
    count(t, result);
    return result;
  };
}

/** Adds one reply to the tally. */
export function count(t: Tally, r: Pick<HopResult, 'status' | 'body' | 'ms'>): void {
  t.hops++;
  t.maxMs = Math.max(t.maxMs, r.ms);
  if (r.ms > DEADLINE_MS) t.overDeadline++;
  if (r.status >= 500) t.fiveXx++;
  if (r.status === 200) {
    const problem = screenProblem(r.body);
    if (problem) t.badScreens.push(`${problem}: ${JSON.stringify(r.body.slice(0, 80))}`);
  }
}

/** Polls `check` until it is truthy; rejects after `timeoutMs`. */
export async function until<T>(
  check: () => T | Promise<T>,
  timeoutMs = 5_000,
  what = 'condition',
): Promise<Exclude<T, null | undefined | false | 0 | ''>> {
  const started = Date.now();
  for (;;) {
    const value = await check();
    if (value) return value as Exclude<T, null | undefined | false | 0 | ''>;
    if (Date.now() - started > timeoutMs)
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(50);
  }
}

export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** A pattern for text starting with `prefix`, taken literally. */
export function startingWith(prefix: string): RegExp {
  return new RegExp(`^${prefix.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}`);
}
