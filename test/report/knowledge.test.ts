// The knowledge base in the report (issue 18): the passages logged with each question (log
// migration 5, written by the real SQLite log) counted into the passages used most and the
// questions no passage covered, in the report's JSON and its text.
import { beforeAll, describe, expect, it } from 'vitest';
import { openLogReadOnly } from '../../src/report/read.ts';
import { buildReport, type Report } from '../../src/report/report.ts';
import { formatReportText } from '../../src/report/report-text.ts';
import { question, T0, useSeededLogFile } from '../log/fixtures.ts';

const NETS = 'en/malaria.md#Preventing malaria with a bed net';
const ORS = 'en/ors.md#Home-made ORS';

const file = useSeededLogFile((log) => {
  const q = (id: string, text: string, passages: string[] | null, over = {}) =>
    log.recordQuestion(
      question({ id, question: text, passages, at: T0 + Number(id.slice(1)) * 1000, ...over }),
    );
  q('q1', 'How do I prevent malaria?', [NETS]);
  q('q2', 'How can I stop malaria?', [NETS, ORS]);
  q('q3', 'How do I make ORS at home?', [ORS]);
  q('q4', 'Mosquito net price?', [NETS]);
  q('q5', 'How do I plant beans?', []); // asked, none found
  q('q6', 'how do I plant BEANS', []);
  q('q7', 'When is the market open?', []);
  q('q8', 'Is it free?', null, { source: 'faq' }); // the base was not asked
  q('q9', 'What is malaria?', null); // a row from before the base, or none configured
});

let report: Report;
beforeAll(() => {
  const db = openLogReadOnly(file.path);
  try {
    report = buildReport(db, { days: 7, now: T0 + 3_600_000, tzOffsetMinutes: 180, top: 5 });
  } finally {
    db.close();
  }
});

describe('the report on the knowledge base', () => {
  it('counts the questions that had passages, the passages used most and the questions none covered', () => {
    expect(report.knowledge).toEqual({
      asked: 7,
      grounded: 4,
      topPassages: [
        { text: NETS, count: 3 },
        { text: ORS, count: 2 },
      ],
      uncovered: [
        { text: 'how do i plant beans', count: 2 },
        { text: 'when is the market open', count: 1 },
      ],
    });
  });

  it('prints them as two short lists under the report', () => {
    const text = formatReportText(report);
    expect(text).toContain('Knowledge base: 4 of 7 questions to the model had passages (57%)');
    expect(text).toMatch(
      /Passages used most\n {2}3 {2}en\/malaria\.md#Preventing malaria with a bed net\n {2}2 {2}en\/ors\.md#Home-made ORS\n/,
    );
    expect(text).toMatch(
      /Questions no passage covered \(write passages for these\)\n {2}2 {2}how do i plant beans\n {2}1 {2}when is the market open\n$/,
    );
  });
});
