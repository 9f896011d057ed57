// Issue 15 item 4: phone hashes made with the built-in development secret can be reversed (a
// +2547/+2541 number in about half an hour on two cores). A log file written with it remembers so
// (the meta table), and the report (`npm run report`) and /admin say so; one written with a real
// PHONE_HASH_SECRET says nothing of the kind.
import { describe, expect, it } from 'vitest';
import { devSecretSince } from '../../src/log/meta.ts';
import { renderAdminPage } from '../../src/report/admin-page.ts';
import { openLogReadOnly } from '../../src/report/read.ts';
import { buildReport } from '../../src/report/report.ts';
import { formatReportText } from '../../src/report/report-text.ts';
import { hop, useLogFile } from './fixtures.ts';

const file = useLogFile();
const NOW = Date.UTC(2026, 2, 14, 12);
const LINKS = { json: '/admin/report.json', days: (n: number) => `/admin?days=${n}` };

async function written(devPhoneHashSecret: boolean) {
  const log = file.open({ devPhoneHashSecret, clock: () => NOW });
  log.recordHop(hop({ at: NOW }));
  await log.flush();
  await log.close();
  const db = openLogReadOnly(file.path);
  try {
    return {
      since: devSecretSince(db),
      report: buildReport(db, { days: 7, now: NOW, tzOffsetMinutes: 180 }),
    };
  } finally {
    db.close();
  }
}

describe('a log written with the development phone-hash secret', () => {
  it('remembers it, and the report and the admin page say so', async () => {
    const { since, report } = await written(true);
    expect(since).toBe(NOW);
    expect(report.devPhoneHashSecretSince).toBe(NOW);
    expect(formatReportText(report)).toMatch(
      /^WARNING: this log was written with the built-in development PHONE_HASH_SECRET since 2026-03-14/,
    );
    expect(renderAdminPage(report, LINKS)).toMatch(
      /<p class="warning" role="alert"[^>]*>[^<]*development PHONE_HASH_SECRET/,
    );
  });

  it('says nothing of the kind when PHONE_HASH_SECRET was set', async () => {
    const { since, report } = await written(false);
    expect(since).toBeNull();
    expect(report.devPhoneHashSecretSince).toBeNull();
    expect(formatReportText(report)).not.toMatch(/WARNING/);
    expect(renderAdminPage(report, LINKS)).not.toMatch(/class="warning"/);
  });
});
