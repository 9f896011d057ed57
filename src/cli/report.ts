// `npm run report [-- --days 28 --db path --json]`: the interaction report (issue 5) on a terminal,
// or as JSON for tools. Opens the database read-only (the SQLite file, or PostgreSQL when
// DATABASE_URL is set: issue 19), so it is safe beside running gateways.
// Exit 1 with a one-line reason when the arguments, the config or the database are wrong.
import { parseArgs } from 'node:util';
import type { Database } from 'better-sqlite3';
import { loadCliConfig } from '../config.ts';
import { openPostgresReadOnly } from '../report/pg-bridge.ts';
import { openLogReadOnly } from '../report/read.ts';
import { buildReport } from '../report/report.ts';
import { formatReportText } from '../report/report-text.ts';

const USAGE = `usage: npm run report [-- --days N] [--db path] [--json]
  --days N   days to report, ending today (default 28, at most 3660)
  --db path  the SQLite file (default: PostgreSQL at DATABASE_URL if set, else DATABASE_PATH)
  --json     print JSON instead of tables`;

function main(argv: string[]): number {
  let values: { days?: string; db?: string; json?: boolean; help?: boolean };
  try {
    ({ values } = parseArgs({
      args: argv,
      options: {
        days: { type: 'string' },
        db: { type: 'string' },
        json: { type: 'boolean' },
        help: { type: 'boolean', short: 'h' },
      },
    }));
  } catch (err) {
    process.stderr.write(`${(err as Error).message}\n${USAGE}\n`);
    return 1;
  }
  if (values.help) {
    process.stdout.write(`${USAGE}\n`);
    return 0;
  }
  const days = Number(values.days ?? '28');
  if (!Number.isInteger(days) || days < 1 || days > 3660) {
    process.stderr.write(`--days must be a whole number from 1 to 3660, got ${values.days}\n`);
    return 1;
  }
  try {
    const config = loadCliConfig();
    // The bridge answers the calls the report makes as better-sqlite3 does (report/pg-bridge.ts).
    const db =
      values.db === undefined && config.DATABASE_URL
        ? (openPostgresReadOnly(config.DATABASE_URL) as unknown as Database)
        : openLogReadOnly(values.db ?? config.DATABASE_PATH);
    try {
      const report = buildReport(db, {
        days,
        now: Date.now(),
        tzOffsetMinutes: config.TIMEZONE_OFFSET_MINUTES,
      });
      process.stdout.write(values.json ? `${JSON.stringify(report, null, 2)}\n` : formatReportText(report));
    } finally {
      db.close();
    }
    return 0;
  } catch (err) {
    process.stderr.write(`${(err as Error).message}\n`);
    return 1;
  }
}

process.exitCode = main(process.argv.slice(2));
