// Runs a question set through the real answer pipeline (createAnswerer: FAQ, knowledge, prompt,
// streaming, screen cleaning) against a model, one question at a time, as a user would meet it:
// the hop deadline, the answer page, and the rest of the answer after it. The answer cache is off,
// so every run measures the model. Scoring is score.ts's; this file only collects.

import { createAnswerer } from '../inference/answerer.ts';
import type { PromptShape } from '../inference/prompt.ts';
import type { Answerer, AnswerModel, Faq, GenerateRequest } from '../inference/types.ts';
import type { Knowledge } from '../knowledge/types.ts';
import type { InteractionLog, QuestionRow } from '../log/types.ts';
import type { Logger } from '../logger.ts';
import { paginate } from '../screen/fit.ts';
import type { AnswerProgress } from '../types.ts';
import type { EvalQuestion } from './questions.ts';
import { type ScoreContext, type Scored, scoreAnswer } from './score.ts';

export interface EvalResult {
  question: EvalQuestion;
  /** The answer as the phone shows it, every page. */
  shown: string;
  firstScreen: string;
  /** What the model wrote ('' when it was not asked). */
  raw: string;
  source: AnswerProgress['source'] | null;
  failure: string | null;
  /** From the question to its first screen being ready (null: it never was). */
  firstScreenMs: number | null;
  totalMs: number;
  tokensIn: number;
  tokensOut: number;
  /** Passage ids in the prompt (null: the knowledge base was not asked). */
  passages: readonly string[] | null;
  scored: Scored;
}

export interface EvalSpec {
  questions: readonly EvalQuestion[];
  model: AnswerModel;
  faq: Faq;
  knowledge?: Knowledge;
  logger: Logger;
  shape: PromptShape;
  /** Septets of one answer page per language (render.ts answerPageSeptets). */
  pageSeptets(lang: string): number;
  systemPrompts: readonly string[];
  hopDeadlineMs: number;
  answerTimeoutMs: number;
  numPredict: number;
  /** Called after each question (progress on a terminal). */
  onResult?(result: EvalResult, index: number): void;
}

export async function runEval(spec: EvalSpec): Promise<EvalResult[]> {
  const rows = new Map<string, QuestionRow>();
  const raw = { text: '' };
  const answerer: Answerer = createAnswerer({
    model: recordingRaw(spec.model, raw),
    cache: { getCached: async () => null, setCached: async () => {} },
    log: collectingLog(rows),
    faq: spec.faq,
    ...(spec.knowledge ? { knowledge: spec.knowledge } : {}),
    logger: spec.logger,
    options: {
      maxConcurrent: 1,
      numPredict: spec.numPredict,
      cacheTtlSeconds: 0,
      answerTimeoutMs: spec.answerTimeoutMs,
      promptShape: spec.shape,
    },
  });
  const results: EvalResult[] = [];
  try {
    for (const [i, question] of spec.questions.entries()) {
      const result = await askOne(answerer, question, i, spec, rows, raw);
      results.push(result);
      spec.onResult?.(result, i);
    }
  } finally {
    await answerer.close();
  }
  return results;
}

async function askOne(
  answerer: Answerer,
  question: EvalQuestion,
  i: number,
  spec: EvalSpec,
  rows: Map<string, QuestionRow>,
  raw: { text: string },
): Promise<EvalResult> {
  raw.text = '';
  const id = `eval-${i}-${question.id}`;
  const pageSeptets = spec.pageSeptets(question.lang);
  const started = performance.now();
  let firstScreenMs: number | null = null;
  let last: AnswerProgress | null = null;
  let settle: () => void = () => {};
  const over = new Promise<void>((resolve) => {
    settle = resolve;
  });
  const seen = (p: AnswerProgress) => {
    last = p;
    if (firstScreenMs === null && p.text !== '') firstScreenMs = performance.now() - started;
    if (p.done) settle();
  };
  seen(
    await answerer.ask({
      sessionId: 'eval',
      phoneHash: 'eval',
      questionId: id,
      question: question.q,
      lang: question.lang,
      deadline: Date.now() + spec.hopDeadlineMs,
      pageSeptets,
      onProgress: seen,
    }),
  );
  // The rest of the answer arrives after the hop; the answer's own time limit bounds the wait.
  await Promise.race([over, sleep(spec.answerTimeoutMs + 1000)]);
  const totalMs = performance.now() - started;
  const final = last as AnswerProgress | null;
  const shown = final?.text ?? '';
  const failure = final?.failure ?? (final?.done ? null : 'timeout');
  const row = rows.get(id);
  const ctx: ScoreContext = { pageSeptets, systemPrompts: spec.systemPrompts };
  return {
    question,
    shown,
    firstScreen: shown === '' ? '' : (paginate(shown, pageSeptets)[0] ?? ''),
    raw: final?.source === 'model' ? raw.text : '',
    source: final?.source ?? null,
    failure,
    firstScreenMs: firstScreenMs === null ? null : Math.round(firstScreenMs),
    totalMs: Math.round(totalMs),
    tokensIn: row?.tokensIn ?? 0,
    tokensOut: row?.tokensOut ?? 0,
    passages: row?.passages ?? null,
    scored: scoreAnswer(question, { shown, raw: final?.source === 'model' ? raw.text : '', failure }, ctx),
  };
}

/** The model as it is, keeping what it writes before the pipeline cleans it (questions run one at a time). */
function recordingRaw(model: AnswerModel, raw: { text: string }): AnswerModel {
  return {
    model: model.model,
    check: () => model.check(),
    warm: () => model.warm(),
    async *generate(req: GenerateRequest, signal: AbortSignal) {
      for await (const chunk of model.generate(req, signal)) {
        raw.text += chunk.text;
        yield chunk;
      }
    },
  };
}

/** The interaction log's contract, keeping the question rows in memory for their tokens and passages. */
function collectingLog(rows: Map<string, QuestionRow>): InteractionLog {
  return {
    recordHop() {},
    recordQuestion: (row) => void rows.set(row.id, row),
    recordSessionEnd() {},
    recordFeedback() {},
    recordTier() {},
    recordDelivery() {},
    recordSms() {},
    recordSmsReport() {},
    status: () => ({ ok: true, queued: 0, failures: 0, written: rows.size }),
    flush: async () => {},
    close: async () => {},
  };
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms).unref());
}
