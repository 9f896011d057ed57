// Names shown for the report's categories, shared by the text, the page and the CSV. Data only.
import type { AnswerSource } from './answers.ts';

export const SOURCE_LABELS: Readonly<Record<AnswerSource, string>> = {
  model: 'model',
  knowledge: 'knowledge',
  cache: 'cache',
  faq: 'FAQ',
};
