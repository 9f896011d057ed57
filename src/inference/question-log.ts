// One question's row in the interaction log, as the hop's ask and the API's query record it: the
// fields a question answered without the model leaves at their zero, the latency from its asking.
// It must not decide an outcome: the caller says what happened.
import type { InteractionLog, QuestionRow } from '../log/types.ts';
import type { Lang } from '../types.ts';

/** A question as it was asked, on either channel. */
export interface AskedQuestion {
  id: string;
  at: number;
  sessionId: string;
  phoneHash: string;
  channel: 'ussd' | 'api';
  lang: Lang;
  question: string;
}

export type RecordQuestion = (
  q: AskedQuestion,
  fields: Partial<QuestionRow> & Pick<QuestionRow, 'answer' | 'source' | 'outcome'>,
) => void;

export function createQuestionRecorder(
  log: InteractionLog,
  hosts: { readonly model: string },
  clock: () => number,
): RecordQuestion {
  return function record(q, fields): void {
    log.recordQuestion({
      id: q.id,
      at: q.at,
      sessionId: q.sessionId,
      phoneHash: q.phoneHash,
      channel: q.channel,
      lang: q.lang,
      model: hosts.model,
      question: q.question,
      prompt: '',
      tokensIn: 0,
      tokensOut: 0,
      ttftMs: null,
      latencyMs: clock() - q.at,
      deadlineCut: false,
      cacheHit: false,
      passages: null,
      ...fields,
    });
  };
}
