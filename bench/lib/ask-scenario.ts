// The ask scenario (issues 7 and 13): a crowd of askers within a few seconds (a radio advert),
// each dialling, choosing 1 and typing a question of its own (no FAQ or cache hit), against a slow
// fake Ollama and the fake AT SMS server. Each asker behaves as a person would: a first page ends
// its wait; "still thinking" makes it press 1 every few seconds until a page comes or its session
// runs out (AT's 180 s), when it hangs up; "by SMS" or "dial again" ends its session. AT's
// end-of-session notification is posted for every session that ends, as AT does. Figures: every
// ask hop's time and screen, who got an answer how (in session, by SMS), and how many times.
// Bounded loops on loopback; no retries (a retry would hide a late hop).
import { septets } from '../../src/screen/gsm7.ts';
import type { FakeAtSms } from '../../test/helpers/fake-at-sms.ts';

export interface AskTexts {
  thinking: string;
  busy: string;
  /** How the "will come by SMS" and "dial again" screens begin. */
  smsLater: string;
  dialLater: string;
  /** Footers that end an answer page. */
  pageFooters: string[];
}

export interface AskFigures {
  askers: number;
  hops: number;
  /** The question hops ('1*<question>') and every "1. Get answer" hop after them. */
  askP50Ms: number;
  askP99Ms: number;
  askMaxMs: number;
  overDeadline: number;
  status5xx: number;
  /** Non-200 answers, network errors and timeouts. */
  errors: number;
  /** Not CON/END, displayed text over 182 septets, or not text/plain. */
  violations: number;
  /** The question hop's screen. */
  page: number;
  thinking: number;
  sms: number;
  dial: number;
  busy: number;
  other: number;
  firstOther: string | null;
  /** Askers who got the answer: a page in the session, and SMS received (of all askers). */
  inSession: number;
  bySms: number;
  /** Askers who got it exactly once (a page xor one SMS), and more than once. */
  exactlyOnce: number;
  twice: number;
  /** From the first dial to the last answer out (a page shown or an SMS sent). */
  lastAnswerS: number;
}

interface HopResult {
  status: number;
  body: string;
  type: string;
  ms: number;
}

const SERVICE_CODE = '*384*123#';
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export async function runAskScenario(opts: {
  url: string;
  askers: number;
  /** The askers start evenly over this long. */
  spreadMs: number;
  deadlineMs: number;
  texts: AskTexts;
  at: FakeAtSms;
  /** A session's life, and how often a waiting asker presses 1. */
  sessionMs?: number;
  pressEveryMs?: number;
}): Promise<AskFigures> {
  const sessionMs = opts.sessionMs ?? 180_000;
  const pressEveryMs = opts.pressEveryMs ?? 5000;
  const runId = `${process.pid.toString(36)}${Date.now().toString(36)}`;
  const hops: HopResult[] = [];
  const asks: HopResult[] = [];
  const kinds: Kind[] = [];
  const pages: (number | null)[] = [];
  const t0 = Date.now();
  const hop = async (sessionId: string, phoneNumber: string, text: string): Promise<HopResult> => {
    const body = new URLSearchParams({
      sessionId,
      serviceCode: SERVICE_CODE,
      phoneNumber,
      networkCode: '63902',
      text,
    });
    const started = performance.now();
    let result: HopResult;
    try {
      const res = await fetch(opts.url, {
        method: 'POST',
        body,
        signal: AbortSignal.timeout(opts.deadlineMs + 5000),
      });
      const reply = await res.text();
      result = {
        status: res.status,
        body: reply,
        type: res.headers.get('content-type') ?? '',
        ms: performance.now() - started,
      };
    } catch (error) {
      result = { status: 0, body: String(error), type: '', ms: performance.now() - started };
    }
    hops.push(result);
    return result;
  };
  const ended = (sessionId: string, phoneNumber: string, status: string) =>
    fetch(`${opts.url}/events`, {
      method: 'POST',
      body: new URLSearchParams({ sessionId, phoneNumber, serviceCode: SERVICE_CODE, status }),
    }).then(
      (r) => r.text(),
      () => '',
    );

  const phoneOf = (i: number) => `+2547${String(90_000_000 + i).padStart(8, '0')}`;
  await Promise.all(
    Array.from({ length: opts.askers }, async (_, i) => {
      await sleep((i * opts.spreadMs) / opts.askers);
      const sessionId = `ATUid_ask_${runId}_${i}`;
      const phone = phoneOf(i);
      const began = Date.now();
      if ((await hop(sessionId, phone, '')).status !== 200) return;
      if ((await hop(sessionId, phone, '1')).status !== 200) return;
      let text = `1*what should I know about topic ${i} ${runId}`;
      let reply = await hop(sessionId, phone, text);
      asks.push(reply);
      const kind = classify(reply.body, opts.texts);
      kinds[i] = kind;
      // Waiting in the session: "1. Get answer" every few seconds, while the session lasts.
      while (
        classify(reply.body, opts.texts) === 'thinking' &&
        Date.now() - began + pressEveryMs < sessionMs
      ) {
        await sleep(pressEveryMs);
        text += '*1';
        reply = await hop(sessionId, phone, text);
        asks.push(reply);
      }
      const gotPage = classify(reply.body, opts.texts) === 'page';
      pages[i] = gotPage ? Date.now() - t0 : null;
      await ended(sessionId, phone, gotPage || kind === 'sms' ? 'Success' : 'Incomplete');
    }),
  );
  // The SMS of answers still being written when their askers left.
  const smsCount = (i: number) => opts.at.sent().filter((m) => m.to === phoneOf(i)).length;
  const expected = () =>
    pages.filter((p, i) => p === null && kinds[i] !== 'busy' && kinds[i] !== undefined).length;
  for (let waited = 0; waited < 600_000; waited += 500) {
    const smsed = Array.from({ length: opts.askers }, (_, i) =>
      pages[i] === null && smsCount(i) > 0 ? 1 : 0,
    );
    if (smsed.reduce<number>((a, b) => a + b, 0) >= expected()) break;
    await sleep(500);
  }
  await sleep(2000); // a second SMS, if any, would come now

  const figures: AskFigures = {
    askers: opts.askers,
    hops: hops.length,
    askP50Ms: 0,
    askP99Ms: 0,
    askMaxMs: 0,
    overDeadline: asks.filter((a) => a.ms > opts.deadlineMs + 100).length,
    status5xx: hops.filter((h) => h.status >= 500).length,
    errors: hops.filter((h) => h.status !== 200).length,
    violations: hops.filter((h) => h.status === 200 && !validReply(h)).length,
    page: 0,
    thinking: 0,
    sms: 0,
    dial: 0,
    busy: 0,
    other: 0,
    firstOther: null,
    inSession: pages.filter((p) => p !== null).length,
    bySms: 0,
    exactlyOnce: 0,
    twice: 0,
    lastAnswerS: 0,
  };
  const ms = asks.map((a) => a.ms).sort((a, b) => a - b);
  figures.askP50Ms = Math.round(quantile(ms, 0.5));
  figures.askP99Ms = Math.round(quantile(ms, 0.99));
  figures.askMaxMs = Math.round(ms.at(-1) ?? 0);
  for (const [i, kind] of kinds.entries()) {
    if (kind === undefined) continue;
    figures[kind]++;
    if (kind === 'other') figures.firstOther ??= asks[i]?.body.slice(0, 120) ?? null;
  }
  let last = 0;
  for (let i = 0; i < opts.askers; i++) {
    const sms = opts.at.sent().filter((m) => m.to === phoneOf(i));
    const times = sms.length + (pages[i] !== null ? 1 : 0);
    if (sms.length > 0) figures.bySms++;
    if (times === 1) figures.exactlyOnce++;
    if (times > 1) figures.twice++;
    last = Math.max(last, pages[i] ?? 0, ...sms.map((m) => m.at - t0));
  }
  figures.lastAnswerS = Math.round(last / 100) / 10;
  return figures;
}

type Kind = 'page' | 'thinking' | 'sms' | 'dial' | 'busy' | 'other';

function classify(body: string, texts: AskTexts): Kind {
  const text = body.replace(/^(CON|END) /, '');
  if (text === texts.thinking) return 'thinking';
  if (text === texts.busy) return 'busy';
  if (text.startsWith(texts.smsLater)) return 'sms';
  if (text.startsWith(texts.dialLater)) return 'dial';
  if (texts.pageFooters.some((f) => text.endsWith(`\n${f}`))) return 'page';
  return 'other';
}

function validReply(h: HopResult): boolean {
  const m = /^(CON|END) ([\s\S]*)$/.exec(h.body);
  return (
    m !== null && (m[2] ?? '').length > 0 && septets(m[2] ?? '') <= 182 && h.type.startsWith('text/plain')
  );
}

function quantile(sorted: number[], q: number): number {
  if (sorted.length === 0) return 0;
  return sorted[Math.min(sorted.length - 1, Math.ceil(q * sorted.length) - 1)] ?? 0;
}

/** The most generations the fake Ollama had open at once. */
export function peakConcurrency(reqs: { at: number; closedAt: number | null }[]): number {
  const events = reqs.flatMap((r) => [
    [r.at, 1],
    [r.closedAt ?? Number.POSITIVE_INFINITY, -1],
  ]);
  events.sort((a, b) => (a[0] ?? 0) - (b[0] ?? 0) || (a[1] ?? 0) - (b[1] ?? 0));
  let now = 0;
  let peak = 0;
  for (const [, d] of events) {
    now += d ?? 0;
    peak = Math.max(peak, now);
  }
  return peak;
}

/**
 * The share of `slots` the fake Ollama had busy while questions waited: from the first generation's
 * start to the last one's (after it, nothing waits).
 */
export function slotsBusy(reqs: { at: number; closedAt: number | null }[], slots: number): number {
  if (reqs.length < 2) return 1;
  const from = Math.min(...reqs.map((r) => r.at));
  const to = Math.max(...reqs.map((r) => r.at));
  if (to <= from) return 1;
  const events = reqs.flatMap((r) => [
    [r.at, 1],
    [Math.min(r.closedAt ?? to, to), -1],
  ]);
  events.sort((a, b) => (a[0] ?? 0) - (b[0] ?? 0) || (b[1] ?? 0) - (a[1] ?? 0));
  let active = 0;
  let busy = 0;
  let prev = from;
  for (const [at, d] of events) {
    const t = Math.min(Math.max(at ?? from, from), to);
    busy += Math.min(active, slots) * (t - prev);
    prev = t;
    active += d ?? 0;
  }
  return busy / (slots * (to - from));
}

/** The time to a first page of one asker with nothing else going on (ms of the question hop). */
export async function loneAsker(url: string, tries: number): Promise<number[]> {
  const out: number[] = [];
  for (let i = 0; i < tries; i++) {
    const sessionId = `ATUid_lone_${Date.now().toString(36)}_${i}`;
    const post = (text: string) =>
      fetch(url, {
        method: 'POST',
        body: new URLSearchParams({
          sessionId,
          serviceCode: SERVICE_CODE,
          phoneNumber: `+25479${i}000000`,
          text,
        }),
      }).then((r) => r.text());
    await post('');
    await post('1');
    const started = performance.now();
    await post(`1*a lone question ${sessionId}`);
    out.push(Math.round(performance.now() - started));
    await sleep(3000); // its answer ends before the next
  }
  return out;
}

/** About 60 words (65 tokens to the fake): ~2.6 s at 30 tokens/s after 400 ms, over one screen. */
export const ANSWER_60 = Array.from(
  { length: 5 },
  (_, i) => `Point ${i + 1}: sleep under a treated net and see a health worker soon.`,
).join(' ');
