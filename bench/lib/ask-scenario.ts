// The ask scenario (issue 7): many askers at once, each dialling, choosing 1 and typing a question
// of its own (so neither the FAQ nor the answer cache can serve it), against a slow fake Ollama.
// Every ask hop must be answered within HOP_DEADLINE_MS + 100 ms with a valid screen; the answer
// is a page, "still thinking" or "busy" depending on the concurrency bound and the queue.
// A bounded fetch loop on loopback; it must not retry (a retry would hide a late hop).
import { septets } from '../../src/screen/gsm7.ts';

export interface AskTexts {
  thinking: string;
  busy: string;
  /** Footers that end an answer page. */
  pageFooters: string[];
}

export interface AskFigures {
  askers: number;
  hops: number;
  /** Ask hops ('1*<question>') only. */
  askP50Ms: number;
  askP99Ms: number;
  askMaxMs: number;
  overDeadline: number;
  status5xx: number;
  /** Non-200 answers, network errors and timeouts. */
  errors: number;
  /** Not CON/END, displayed text over 182 septets, or not text/plain. */
  violations: number;
  /** Whole bodies over 182 characters prefix included (shared/bench-peer/load.mjs's stricter count). */
  over182WithPrefix: number;
  page: number;
  thinking: number;
  busy: number;
  other: number;
  firstOther: string | null;
}

interface HopResult {
  status: number;
  body: string;
  type: string;
  ms: number;
}

const SERVICE_CODE = '*384*123#';

export async function runAskScenario(opts: {
  url: string;
  askers: number;
  deadlineMs: number;
  texts: AskTexts;
}): Promise<AskFigures> {
  const runId = `${process.pid.toString(36)}${Date.now().toString(36)}`;
  const hops: HopResult[] = [];
  const asks: HopResult[] = [];
  const hop = async (sessionId: string, phoneNumber: string, text: string): Promise<HopResult> => {
    const body = new URLSearchParams({
      sessionId,
      serviceCode: SERVICE_CODE,
      phoneNumber,
      networkCode: '63902',
      text,
    });
    const started = performance.now();
    try {
      const res = await fetch(opts.url, {
        method: 'POST',
        body,
        signal: AbortSignal.timeout(opts.deadlineMs + 5000),
      });
      const reply = await res.text();
      const result = {
        status: res.status,
        body: reply,
        type: res.headers.get('content-type') ?? '',
        ms: performance.now() - started,
      };
      hops.push(result);
      return result;
    } catch (error) {
      const result = { status: 0, body: String(error), type: '', ms: performance.now() - started };
      hops.push(result);
      return result;
    }
  };

  // All askers dial together; each walks its session hop after hop, like a phone.
  await Promise.all(
    Array.from({ length: opts.askers }, async (_, i) => {
      const sessionId = `ATUid_ask_${runId}_${i}`;
      const phone = `+2547${String(90_000_000 + i).padStart(8, '0')}`;
      if ((await hop(sessionId, phone, '')).status !== 200) return;
      if ((await hop(sessionId, phone, '1')).status !== 200) return;
      asks.push(await hop(sessionId, phone, `1*what should I know about topic ${i} ${runId}`));
    }),
  );

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
    over182WithPrefix: hops.filter((h) => h.status === 200 && h.body.length > 182).length,
    page: 0,
    thinking: 0,
    busy: 0,
    other: 0,
    firstOther: null,
  };
  const ms = asks.map((a) => a.ms).sort((a, b) => a - b);
  figures.askP50Ms = Math.round(quantile(ms, 0.5));
  figures.askP99Ms = Math.round(quantile(ms, 0.99));
  figures.askMaxMs = Math.round(ms.at(-1) ?? 0);
  for (const a of asks) {
    const kind = classify(a.body, opts.texts);
    figures[kind]++;
    if (kind === 'other') figures.firstOther ??= a.body.slice(0, 120);
  }
  return figures;
}

function validReply(h: HopResult): boolean {
  const m = /^(CON|END) ([\s\S]*)$/.exec(h.body);
  return (
    m !== null && (m[2] ?? '').length > 0 && septets(m[2] ?? '') <= 182 && h.type.startsWith('text/plain')
  );
}

function classify(body: string, texts: AskTexts): 'page' | 'thinking' | 'busy' | 'other' {
  const text = body.replace(/^(CON|END) /, '');
  if (text === texts.thinking) return 'thinking';
  if (text === texts.busy) return 'busy';
  if (texts.pageFooters.some((f) => text.endsWith(`\n${f}`))) return 'page';
  return 'other';
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

/** About 130 words: longer than one screen, so the answer pages and a slot stays busy ~4.7 s. */
export const LONG_ANSWER = Array.from(
  { length: 13 },
  (_, i) =>
    `Point ${i + 1}: sleep under a treated net every night, and see a health worker if a fever lasts.`,
).join(' ');
