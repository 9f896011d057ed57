// The inference boundary. AnswerModel is the driver (ollama.ts speaks Ollama's HTTP API);
// Answerer is the pipeline the app uses: FAQ, cache, admission queue, hop deadline, background
// generation (issue 4).
import type { AnswerProgress, Lang } from '../types.ts';

export interface ChatMessage {
  role: 'system' | 'user' | 'assistant';
  content: string;
}

export interface GenerateRequest {
  messages: ChatMessage[];
  /** Cap on generated tokens (Ollama's num_predict). */
  numPredict: number;
}

/**
 * One streamed piece; the last one carries `done`. A driver may yield an empty piece when the
 * response starts, so a later failure reads as a broken stream rather than an unreachable server.
 */
export interface GenerateChunk {
  text: string;
  done?: {
    reason: string;
    tokensIn: number;
    tokensOut: number;
  };
}

export interface ModelHealth {
  ok: boolean;
  /** e.g. "ok", "unreachable: ECONNREFUSED", "model 'llama3.2:3b' not pulled: run `ollama pull llama3.2:3b`". */
  detail: string;
}

export interface AnswerModel {
  readonly model: string;
  /** Where it runs (one OLLAMA_HOST entry), for logs and health. */
  readonly host?: string;
  /**
   * Streams an answer. Aborting `signal` closes the HTTP request, which frees Ollama's slot
   * (shared/research/inference.md §2.4). Throws InferenceHttpError / InferenceNetworkError /
   * InferenceTimeoutError.
   */
  generate(req: GenerateRequest, signal: AbortSignal): AsyncIterable<GenerateChunk>;
  /** Reachable, and the model pulled? */
  check(): Promise<ModelHealth>;
  /** Loads the model (no deadline: a client gone during a load aborts the load). */
  warm(): Promise<void>;
}

export interface AskRequest {
  sessionId: string;
  phoneHash: string;
  /** The phone number: kept with the queued question only while SMS is on (for its SMS). */
  phone?: string;
  /** Id of the question (also the answer's id), for feedback and the log. */
  questionId: string;
  question: string;
  lang: Lang;
  /** Epoch ms by which ask() must resolve, whatever the model does. */
  deadline: number;
  /** Septets of one answer page: ask() resolves early once more than this is ready. */
  pageSeptets: number;
  /**
   * Epoch ms AT ends the session (its first hop + AT_SESSION_MS): an answer expected before then
   * is waited for in the session, a later one goes by SMS or to the next dial. Unknown (a session
   * stored before its start was kept): IN_SESSION_MS from now.
   */
  sessionEndsAt?: number;
  /**
   * Called as the answer grows and when it ends, after ask() resolved, while this process hears of
   * it. The answer is also written to the session store as it grows, which is what hops read.
   */
  onProgress?(progress: AnswerProgress): void;
}

export interface QueryRequest {
  userId: string;
  query: string;
  context?: string;
  lang?: Lang;
}

export interface QueryResult {
  response: string;
  tokens_used: number;
  latency_ms: number;
}

export interface Answerer {
  /**
   * Resolves by `deadline` with the answer so far: complete, partial (generation goes on in the
   * background and reports through onProgress), empty and not done ("still thinking", or `later`
   * by SMS or at the next dial), or failed. Never rejects.
   */
  ask(req: AskRequest): Promise<AnswerProgress>;
  /** The JSON API: a whole answer, no screen limit. Rejects with the inference errors. */
  query(req: QueryRequest): Promise<QueryResult>;
  readiness(): Promise<ModelHealth>;
  /** Aborts background generations. */
  close(): Promise<void>;
}

/** Curated answers (menus/faq.yaml): instant, and still there when the model is down. */
export interface Faq {
  /** The answer for a question matching one of the variants (normalised text), or null. */
  match(question: string, lang: Lang): string | null;
  /** Number of entries. */
  readonly size: number;
}
