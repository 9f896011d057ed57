// `npm run eval`: the question set (eval/questions.yaml) through the real answer pipeline against
// the configured Ollama (OLLAMA_HOST), scored (eval/score.ts), as a table and a summary, or --json.
// Exit 1 when a run scores below --min-score, when a file is broken, or when Ollama is not ready.
//   npm run eval -- --model qwen2.5:3b            another model
//   npm run eval -- --compare llama3.2:3b,qwen2.5:3b
//   npm run eval -- --knowledge off               what grounding adds
//   npm run eval -- --shape notes-system --passages 3 --max-tokens 400 --min-relevance 40
//   npm run eval -- --only malaria-prevent-en,inject-system-en --min-score 0.8 --json
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { loadCliConfig } from '../config.ts';
import { loadJourney } from '../engine/load.ts';
import { answerPageSeptets } from '../engine/render.ts';
import { ConfigError, KnowledgeError, MenuError } from '../errors.ts';
import { type EvalRun, formatComparison, formatRun } from '../eval/format.ts';
import { loadQuestions } from '../eval/questions.ts';
import { runEval } from '../eval/run.ts';
import { summarize } from '../eval/summary.ts';
import { loadFaq } from '../inference/faq.ts';
import { createOllamaModel } from '../inference/ollama.ts';
import { PROMPT_SHAPES, type PromptShape, systemPrompt } from '../inference/prompt.ts';
import { type OpenedKnowledge, openKnowledge } from '../knowledge/base.ts';
import { silentLogger } from '../logger.ts';
import { journeyFacts, knowledgeBounds } from '../settings.ts';

const USAGE =
  'usage: npm run eval -- [--questions file] [--model name | --compare a,b] [--knowledge on|off]\n' +
  '  [--shape notes-last|notes-system] [--passages n] [--max-tokens n] [--min-relevance percent]\n' +
  '  [--only id,id] [--min-score 0..1] [--json] [--quiet]';

async function main(): Promise<number> {
  const { values } = parseArgs({
    options: {
      questions: { type: 'string', default: 'eval/questions.yaml' },
      model: { type: 'string' },
      compare: { type: 'string' },
      knowledge: { type: 'string', default: 'on' },
      shape: { type: 'string', default: 'notes-last' },
      passages: { type: 'string' },
      'max-tokens': { type: 'string' },
      'min-relevance': { type: 'string' },
      only: { type: 'string' },
      'min-score': { type: 'string' },
      json: { type: 'boolean', default: false },
      quiet: { type: 'boolean', default: false },
    },
  });
  const config = loadCliConfig();
  const shape = values.shape as PromptShape;
  const minScore = values['min-score'] === undefined ? null : Number(values['min-score']);
  if (!PROMPT_SHAPES.includes(shape) || !['on', 'off'].includes(values.knowledge) || Number.isNaN(minScore)) {
    process.stderr.write(`${USAGE}\n`);
    return 1;
  }
  const models = values.compare
    ? values.compare.split(',').map((m) => m.trim())
    : [values.model ?? config.OLLAMA_MODEL];
  const only = values.only ? new Set(values.only.split(',')) : null;
  const questions = (await loadQuestions(values.questions)).filter((q) => !only || only.has(q.id));
  const journey = loadJourney(config.MENUS_DIR, journeyFacts(config));
  const faqPath = join(config.MENUS_DIR, 'faq.yaml');
  const faq = loadFaq(existsSync(faqPath) ? faqPath : null);
  const bounds = knowledgeBounds(config);
  if (values.passages !== undefined) bounds.maxPassages = Number(values.passages);
  if (values['max-tokens'] !== undefined) bounds.maxTokens = Number(values['max-tokens']);
  if (values['min-relevance'] !== undefined) bounds.minRelevance = Number(values['min-relevance']) / 100;
  const useKnowledge = values.knowledge === 'on' && config.KNOWLEDGE_DIR !== '';
  let knowledge: OpenedKnowledge | undefined;
  if (useKnowledge)
    knowledge = await openKnowledge({
      dir: config.KNOWLEDGE_DIR,
      bounds,
      logger: silentLogger(),
      watch: false,
    });

  const runs: EvalRun[] = [];
  try {
    for (const name of models) {
      const model = createOllamaModel({
        host: config.OLLAMA_HOST[0] ?? '',
        model: name,
        numCtx: config.OLLAMA_NUM_CTX,
      });
      const health = await model.check();
      if (!health.ok) {
        process.stderr.write(`[eval] ${name} at ${config.OLLAMA_HOST[0]} is not ready: ${health.detail}\n`);
        return 1;
      }
      const results = await runEval({
        questions,
        model,
        faq,
        ...(knowledge ? { knowledge } : {}),
        logger: silentLogger(),
        shape,
        pageSeptets: (lang) => answerPageSeptets(journey, lang),
        systemPrompts: journey.languages.map(systemPrompt),
        hopDeadlineMs: config.HOP_DEADLINE_MS,
        answerTimeoutMs: config.ANSWER_TIMEOUT_MS,
        numPredict: config.OLLAMA_NUM_PREDICT,
        onResult(r, i) {
          if (!values.quiet)
            process.stderr.write(
              `  ${name} [${i + 1}/${questions.length}] ${r.question.id} ${Math.round(r.scored.score * 100)}%\n`,
            );
        },
      });
      runs.push({
        model: name,
        knowledge: knowledge
          ? `on (${knowledge.passages.length} passages, at most ${bounds.maxPassages} and ${bounds.maxTokens} tokens, floor ${Math.round(bounds.minRelevance * 100)}%)`
          : 'off',
        shape,
        results,
        summary: summarize(results),
      });
    }
  } finally {
    await knowledge?.close();
  }

  if (values.json) process.stdout.write(`${JSON.stringify({ runs }, null, 2)}\n`);
  else process.stdout.write(runs.length > 1 ? formatComparison(runs) : runs[0] ? formatRun(runs[0]) : '');
  const below = runs.filter((r) => minScore !== null && r.summary.score < minScore);
  for (const r of below)
    process.stderr.write(
      `[eval] ${r.model}: score ${r.summary.score.toFixed(3)} is below --min-score ${minScore}\n`,
    );
  return below.length > 0 ? 1 : 0;
}

main().then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    const known =
      error instanceof ConfigError || error instanceof MenuError || error instanceof KnowledgeError;
    process.stderr.write(`${known ? (error as Error).message : String((error as Error)?.stack ?? error)}\n`);
    process.exitCode = 1;
  },
);
