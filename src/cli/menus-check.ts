// `npm run menus:check [dir]`: the same whole-journey validation the gateway runs at boot, for
// menu authors. Prints every problem keyed by file and screen path; exit 1 when there are any.
// Screens that fit but wrap badly on a 22-column handset are warned of (stderr), exit 0.
import { loadCliConfig } from '../config.ts';
import { loadJourney } from '../engine/load.ts';
import { wrapWarnings } from '../engine/readability.ts';
import { MenuError } from '../errors.ts';
import { journeyFacts } from '../settings.ts';

try {
  const config = loadCliConfig();
  const dir = process.argv[2] ?? config.MENUS_DIR;
  const facts = journeyFacts(config);
  const journey = loadJourney(dir, facts);
  const warnings = wrapWarnings(journey, facts);
  for (const w of warnings) process.stderr.write(`warning: ${w.file} ${w.path}: ${w.message}\n`);
  process.stdout.write(
    `${dir}: ok — ${journey.screens.size} screens in ${journey.languages.join(', ')}, all reachable, all fit 182 GSM-7 septets${warnings.length ? `; ${warnings.length} warning${warnings.length > 1 ? 's' : ''}` : ''}\n`,
  );
} catch (error) {
  process.stderr.write(
    `${error instanceof MenuError ? error.message : String((error as Error).message ?? error)}\n`,
  );
  process.exitCode = 1;
}
