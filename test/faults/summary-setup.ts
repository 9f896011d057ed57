// Global setup of the fault suite: empties the summary before the run and, after it, prints one
// line per fault (injected, survived, hops, replies over the deadline, 5xx, rows expected and
// found) and the totals against the targets of issue 8. Also kept in test-artifacts/faults/.
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestProject } from 'vitest/node';
import { PROJECT_ROOT } from '../helpers/gateway-process.ts';
import type { Tally } from './support.ts';

type Line = Tally & { survived: boolean; error: string };

export default function setup(project: TestProject): () => void {
  // A file of this run's own: two runs at once (two engineers) must not mix their lines.
  const dir = mkdtempSync(join(tmpdir(), 'ussd-faults-summary-'));
  const file = join(dir, 'summary.jsonl');
  project.provide('faultSummaryFile', file);
  return () => {
    const lines: Line[] = existsSync(file)
      ? readFileSync(file, 'utf8')
          .split('\n')
          .filter(Boolean)
          .map((l) => JSON.parse(l) as Line)
      : [];
    rmSync(dir, { recursive: true, force: true });
    const text = render(lines);
    const artifacts = join(PROJECT_ROOT, 'test-artifacts', 'faults');
    mkdirSync(artifacts, { recursive: true });
    writeFileSync(join(artifacts, 'summary.txt'), text);
    process.stdout.write(`\n${text}\n`);
  };
}

function render(lines: Line[]): string {
  const head = [
    'fault',
    'injected',
    'survived',
    'hops',
    '>deadline',
    '5xx',
    'max ms',
    'rows exp',
    'rows found',
  ];
  const rows = lines.map((l) => [
    l.fault,
    l.injected ? 'yes' : 'NO',
    l.survived ? 'yes' : 'NO',
    String(l.hops),
    String(l.overDeadline),
    String(l.fiveXx),
    String(l.maxMs),
    l.rowsExpected === null ? '-' : String(l.rowsExpected),
    l.rowsFound === null ? '-' : String(l.rowsFound),
  ]);
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const fmt = (r: string[]) =>
    r.map((c, i) => (i === 0 ? c.padEnd(widths[i] ?? 0) : c.padStart(widths[i] ?? 0))).join('  ');
  const sum = (f: (l: Line) => number) => lines.reduce((a, l) => a + f(l), 0);
  const missing = (l: Line) => Math.max(0, (l.rowsExpected ?? 0) - Math.max(0, l.rowsFound ?? 0));
  const lost = sum((l) => Math.max(0, missing(l) - l.allowedLoss));
  const allowed = sum((l) => Math.min(missing(l), l.allowedLoss));
  const doubled = sum((l) => Math.max(0, (l.rowsFound ?? 0) - (l.rowsExpected ?? 0)));
  const notes = lines
    .filter((l) => l.note || l.error)
    .map((l) => `  ${l.fault}: ${[l.note, l.error].filter(Boolean).join(' | ')}`);
  return [
    'Fault summary (issue 8)',
    fmt(head),
    ...rows.map(fmt),
    '',
    `faults: ${lines.length}, survived: ${lines.filter((l) => l.survived).length}, ` +
      `rows lost: ${lost} (plus ${allowed} lost to SIGKILL within its flush interval), rows doubled: ${doubled}, ` +
      `replies over the deadline: ${sum((l) => l.overDeadline)}, ` +
      `5xx: ${sum((l) => l.fiveXx)}, invalid screens: ${sum((l) => l.badScreens.length)}`,
    ...(notes.length ? ['notes:', ...notes] : []),
    '',
  ].join('\n');
}
