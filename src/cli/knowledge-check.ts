// `npm run knowledge:check [dir]`: the same load, check and indexing the gateway runs at start-up,
// for content authors. Prints every problem as file:line, then the warnings; exit 1 on problems.
import { loadCliConfig } from '../config.ts';
import { KnowledgeError } from '../errors.ts';
import { openKnowledge } from '../knowledge/base.ts';
import { silentLogger } from '../logger.ts';
import { knowledgeBounds } from '../settings.ts';

try {
  const config = loadCliConfig();
  const dir = process.argv[2] ?? config.KNOWLEDGE_DIR;
  const knowledge = await openKnowledge({
    dir,
    bounds: knowledgeBounds(config),
    logger: silentLogger(),
    watch: false,
  });
  for (const w of knowledge.warnings) process.stdout.write(`warning: ${w.file}:${w.line}: ${w.message}\n`);
  const counts = Object.entries(knowledge.counts).map(([lang, n]) => `${lang} ${n}`);
  const files = new Set(knowledge.passages.map((p) => p.file)).size;
  const { readMs, indexMs } = knowledge.timings;
  process.stdout.write(
    `${dir}: ok — ${knowledge.passages.length} passages (${counts.join(', ') || 'none'}) in ${files} files, ` +
      `every one with a source; read in ${readMs} ms, indexed in ${indexMs} ms\n`,
  );
  await knowledge.close();
} catch (error) {
  process.stderr.write(
    `${error instanceof KnowledgeError ? error.message : String((error as Error).message ?? error)}\n`,
  );
  process.exitCode = 1;
}
