// The admin's report is built on a worker thread, so that reading months of rows never holds the
// event loop that answers hops: the same report as in process, the same clear errors, and a report
// that runs too long is abandoned.
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { InteractionLogError } from '../../src/errors.ts';
import { openLogReadOnly } from '../../src/report/read.ts';
import { buildReport } from '../../src/report/report.ts';
import { buildReportInWorker } from '../../src/report/report-thread.ts';
import { hop, question, T0, useSeededLogFile } from '../log/fixtures.ts';

const OPTIONS = { days: 7, now: T0 + 3_600_000, tzOffsetMinutes: 180 };
const file = useSeededLogFile((log) => {
  for (const p of ['p1', 'p2', 'p3']) log.recordHop(hop({ phoneHash: p, sessionId: `s-${p}` }));
  log.recordQuestion(question({ question: 'Mbolea bora?' }));
});

describe('the report on a worker thread', () => {
  it('is the report built in process', async () => {
    const db = openLogReadOnly(file.path);
    const expected = buildReport(db, OPTIONS);
    db.close();
    expect(expected.total.dialers).toBe(3);
    await expect(buildReportInWorker(file.path, OPTIONS)).resolves.toEqual(expected);
  });

  it('fails with the clear message of the reader when the file is missing', async () => {
    const missing = buildReportInWorker(join(file.dir, 'missing.db'), OPTIONS);
    await expect(missing).rejects.toBeInstanceOf(InteractionLogError);
    await expect(missing).rejects.toThrow(/^\[log\] no database at .*missing\.db/);
  });

  it('is abandoned, its worker stopped, when it takes longer than the time given', async () => {
    await expect(buildReportInWorker(file.path, OPTIONS, 1)).rejects.toThrow(/took longer than 1 ms/);
  });
});
