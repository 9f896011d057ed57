// `npm run log:migrate -- --from ./data/ussd.db --to postgres://…` (issue 19 item 2): moves a box's
// SQLite history (the interaction log and the records) into PostgreSQL, for the operator who
// grows from one box to several. Resumable and idempotent (log/copy-to-postgres.ts): interrupted,
// it is run again and goes on where it stopped; run again after it finished, it copies only rows
// written since. Safe beside a running gateway (the file is opened read-only). Progress on stderr;
// exit 1 with a one-line reason naming what is wrong (an argument, the file, the database).
import { parseArgs } from 'node:util';
import pg from 'pg';
import { postgresUrlProblem } from '../config.ts';
import { copyToPostgres } from '../log/copy-to-postgres.ts';
import { migratePostgres } from '../postgres/migrate.ts';
import { PG_TYPES } from '../postgres/pool.ts';
import { openLogReadOnly } from '../report/read.ts';

const USAGE = `usage: npm run log:migrate -- --from <sqlite file> --to postgres://user@host:5432/db
  --from path  the box's SQLite file (its DATABASE_PATH, e.g. ./data/ussd.db)
  --to url     the PostgreSQL database the gateways will use (their DATABASE_URL)`;

async function main(argv: string[]): Promise<number> {
  let values: { from?: string; to?: string; help?: boolean };
  try {
    ({ values } = parseArgs({
      args: argv,
      options: { from: { type: 'string' }, to: { type: 'string' }, help: { type: 'boolean', short: 'h' } },
    }));
  } catch (err) {
    return fail(`${(err as Error).message}\n${USAGE}`);
  }
  if (values.help) {
    process.stdout.write(`${USAGE}\n`);
    return 0;
  }
  if (!values.from) return fail(`--from is missing: the SQLite file to copy\n${USAGE}`);
  if (!values.to) return fail(`--to is missing: the PostgreSQL database to copy into\n${USAGE}`);
  const problem = postgresUrlProblem(values.to);
  if (problem) return fail(`--to ${redact(values.to)}: ${problem}`);

  let file: ReturnType<typeof openLogReadOnly>;
  try {
    file = openLogReadOnly(values.from);
  } catch (err) {
    return fail(`--from ${values.from}: ${(err as Error).message}`);
  }
  const client = new pg.Client({
    connectionString: values.to,
    types: PG_TYPES,
    connectionTimeoutMillis: 10_000,
  });
  try {
    try {
      await client.connect();
    } catch (err) {
      return fail(`--to ${redact(values.to)}: cannot connect: ${(err as Error).message}`);
    }
    const applied = await migratePostgres(client);
    if (applied.length > 0) process.stderr.write(`schema created (migrations ${applied.join(', ')})\n`);
    const tty = process.stderr.isTTY;
    let lastLine = 0;
    const started = Date.now();
    const result = await copyToPostgres(file, client, {
      onProgress(p) {
        const now = Date.now();
        const finished = p.done >= p.total;
        if (!finished && now - lastLine < (tty ? 200 : 2_000)) return;
        lastLine = now;
        const pct = p.total === 0 ? 100 : Math.floor((p.done / p.total) * 100);
        const rate = Math.round(p.sent / Math.max(0.001, (now - started) / 1000));
        const line = `${p.table}: ${p.done.toLocaleString('en')}/${p.total.toLocaleString('en')} (${pct}%)  ${rate.toLocaleString('en')} rows/s`;
        process.stderr.write(tty ? `\r\x1b[K${line}${finished ? '\n' : ''}` : `${line}\n`);
      },
    });
    const total = Object.values(result.sent).reduce((a, b) => a + b, 0);
    const rate = Math.round(total / Math.max(0.001, result.ms / 1000));
    process.stdout.write(
      `copied ${total.toLocaleString('en')} rows from ${values.from} (file ${result.fileId}) in ${(result.ms / 1000).toFixed(1)} s, ${rate.toLocaleString('en')} rows/s\n`,
    );
    return 0;
  } catch (err) {
    const cause = (err as { cause?: { message?: string } }).cause?.message;
    return fail(`${(err as Error).message}${cause ? `: ${cause}` : ''}`);
  } finally {
    file.close();
    await client.end().catch(() => {});
  }
}

function fail(message: string): number {
  process.stderr.write(`log:migrate: ${message}\n`);
  return 1;
}

/** The URL without its password, for messages. */
function redact(url: string): string {
  if (!URL.canParse(url)) return url;
  const u = new URL(url);
  if (u.password) u.password = '***';
  return u.toString();
}

process.exitCode = await main(process.argv.slice(2));
