// `npm run report`: the CLI run as a child process against real files: text and JSON output, the
// default database from DATABASE_PATH, and a one-line error with exit 1 when something is wrong.
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { hop, useSeededLogFile } from '../log/fixtures.ts';

const run = promisify(execFile);
const TSX = join(process.cwd(), 'node_modules', '.bin', 'tsx');
const file = useSeededLogFile((log) => log.recordHop(hop({ at: Date.now() })));

async function report(args: string[], env: Record<string, string> = {}) {
  try {
    const { stdout, stderr } = await run(TSX, ['src/cli/report.ts', ...args], {
      env: { PATH: process.env.PATH ?? '', ...env },
      timeout: 15_000,
    });
    return { code: 0, stdout, stderr };
  } catch (err) {
    const e = err as { code: number; stdout: string; stderr: string };
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
  }
}

describe.concurrent('npm run report', () => {
  it('prints the tables for --db', async () => {
    const r = await report(['--db', file.path, '--days', '3']);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/\(3 days, UTC\+03:00\)/);
    expect(r.stdout).toMatch(/Do users engage\?[\s\S]*Do the answers help\?[\s\S]*Will they pay\?/);
  });

  it('prints JSON with --json, reading DATABASE_PATH by default', async () => {
    const r = await report(['--json', '--days', '2'], {
      DATABASE_PATH: file.path,
      TIMEZONE_OFFSET_MINUTES: '0',
    });
    expect(r.code).toBe(0);
    const json = JSON.parse(r.stdout);
    expect(json).toMatchObject({ days: 2, tzOffsetMinutes: 0, total: { dialers: 1, sessions: 1 } });
    // Yesterday had nothing logged: collapsed out of perDay into emptyDays.
    expect(json.perDay).toHaveLength(1);
    expect(json.emptyDays).toEqual([expect.objectContaining({ days: 1 })]);
  });

  it.each([
    ['a missing file', ['--db', 'no/such/file.db'], /no database at no\/such\/file\.db/],
    ['a bad --days', ['--db', 'x.db', '--days', 'many'], /--days must be a whole number/],
    ['an unknown option', ['--dbb', 'x.db'], /Unknown option '--dbb'[\s\S]*usage:/],
  ])('exits 1 with a clear message on %s', async (_name, args, message) => {
    const r = await report(args);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(message);
    expect(r.stdout).toBe('');
  });
});
