// Every query of the report's engagement, answers and topics sections, in one place, so a second
// driver of the log (PostgreSQL) has one file to read. Plain standard SQL only: CASE rather than
// SQLite's boolean arithmetic, window functions for percentiles, integer division for local days.
// Parameters: @start and @end (epoch ms, the window), @off (the local offset, ms). Texts only: this
// file runs nothing.

const DAY_MS = 86_400_000;

/** The local calendar day (days since the epoch) of an epoch-ms column. */
// better-sqlite3 binds JS numbers as REAL: the cast keeps the division an integer one.
export const day = (col: string) => `(${col} + CAST(@off AS INTEGER)) / ${DAY_MS}`;
export const inRange = (col: string) => `${col} >= @start AND ${col} < @end`;
/** 1 when `cond` holds, else 0: summed, a count (standard for SQLite's `sum(a = b)`). */
export const flag = (cond: string) => `CASE WHEN ${cond} THEN 1 ELSE 0 END`;

/** How a question was answered: knowledge is a model answer whose prompt carried passages. */
const SOURCE = `CASE WHEN source = 'model' AND passages IS NOT NULL AND passages <> '[]' THEN 'knowledge'
  ELSE source END`;
/** 'ok' for an answer given (a stream cut at its length is given), else the failure's kind. */
const OUTCOME = `CASE WHEN outcome IN ('ok', 'cut') THEN 'ok' ELSE outcome END`;
const USSD_IN_RANGE = `channel = 'ussd' AND ${inRange('at')}`;

/**
 * Nearest-rank p50 and p95 of `ms` per `key` (rank ceil(p·n/100), in integers) over `rows`, a
 * query with columns key and ms.
 */
const percentiles = (rows: string) => `
  SELECT key, count(*) AS n,
    max(CASE WHEN rn = (50 * total + 99) / 100 THEN ms END) AS p50,
    max(CASE WHEN rn = (95 * total + 99) / 100 THEN ms END) AS p95
  FROM (
    SELECT key, ms, row_number() OVER (PARTITION BY key ORDER BY ms) AS rn,
      count(*) OVER (PARTITION BY key) AS total
    FROM (${rows}) r
  ) ranked GROUP BY key`;

export const SQL = {
  sessionsPerDay: `SELECT ${day('first_at')} AS d, count(*) AS n FROM sessions WHERE ${inRange('first_at')} GROUP BY ${day('first_at')}`,
  /**
   * From one pass over the window's (phone, day) pairs: the dialers of each day (kind 'day'), of
   * the window (kind 'window', d 0), and the phones first seen in the window (no session before
   * it) by their first day (kind 'new'), with how many were back on the next day, within 7 days and
   * within 28 (a session on D+1, D+1..D+7, D+1..D+28). A window function finds each phone's first
   * day; the phones seen before the window are read from the (first_at, phone_hash) index alone
   * (migration 4): 28 days of a million sessions in 2.0 s, where grouping every earlier session by
   * phone took 6.7 s and the dialers' two more scans 0.8 s. SQLite's temporary B-trees spill to
   * disk, where maps of phones in JS needed 340 MB of heap.
   */
  engagement: `WITH active AS MATERIALIZED (
      SELECT DISTINCT phone_hash AS p, ${day('first_at')} AS d FROM sessions WHERE ${inRange('first_at')}
    ), per_phone AS (
      SELECT p, f, max(${flag('d = f + 1')}) AS back1, max(${flag('d BETWEEN f + 1 AND f + 7')}) AS back7,
        max(${flag('d BETWEEN f + 1 AND f + 28')}) AS back28
      FROM (SELECT p, d, min(d) OVER (PARTITION BY p) AS f FROM active) a GROUP BY p, f
    )
    SELECT 'day' AS kind, d, count(*) AS n, 0 AS back1, 0 AS back7, 0 AS back28 FROM active GROUP BY d
    UNION ALL
    SELECT 'window' AS kind, 0 AS d, count(*) AS n, 0, 0, 0 FROM per_phone
    UNION ALL
    SELECT 'new' AS kind, f AS d, count(*) AS n, sum(back1), sum(back7), sum(back28)
    FROM per_phone WHERE p NOT IN (SELECT phone_hash FROM sessions WHERE first_at < @start)
    GROUP BY f`,
  /** Where the window's sessions ended: their last screen and hop count (capped at 10). */
  sessionEnds: `SELECT coalesce(last_screen, '(none)') AS screen,
      CASE WHEN hops >= 10 THEN 10 ELSE hops END AS hops, count(*) AS n
    FROM sessions WHERE ${inRange('first_at')}
    GROUP BY coalesce(last_screen, '(none)'), CASE WHEN hops >= 10 THEN 10 ELSE hops END`,

  /** Questions per day by channel, deadline cuts, cache hits and tokens. */
  questionsPerDay: `SELECT ${day('at')} AS d, sum(${flag("channel = 'ussd'")}) AS u, sum(${flag("channel = 'api'")}) AS a,
      sum(${flag("channel = 'ussd' AND deadline_cut <> 0")}) AS c, sum(${flag("channel = 'ussd' AND cache_hit <> 0")}) AS h,
      sum(tokens_in) AS ti, sum(tokens_out) AS tout
    FROM questions WHERE ${inRange('at')} GROUP BY ${day('at')}`,
  /** USSD questions per day by source (answered) or failure kind (failed). */
  outcomesPerDay: `SELECT d, src, oc, count(*) AS n FROM (
      SELECT ${day('at')} AS d, ${SOURCE} AS src, ${OUTCOME} AS oc FROM questions WHERE ${USSD_IN_RANGE}
    ) q GROUP BY d, src, oc`,
  /** The model's answers (knowledge included) per day: p50 and p95 of the whole answer. */
  modelLatencyPerDay: percentiles(
    `SELECT ${day('at')} AS key, latency_ms AS ms FROM questions
     WHERE ${USSD_IN_RANGE} AND source = 'model' AND ${OUTCOME} = 'ok'`,
  ),
  /** Answers given, by source: time to the first words (cache and FAQ: the whole answer)… */
  firstScreenBySource: percentiles(
    `SELECT ${SOURCE} AS key, coalesce(ttft_ms, latency_ms) AS ms FROM questions
     WHERE ${USSD_IN_RANGE} AND ${OUTCOME} = 'ok'`,
  ),
  /** …and to the whole answer. */
  wholeBySource: percentiles(
    `SELECT ${SOURCE} AS key, latency_ms AS ms FROM questions WHERE ${USSD_IN_RANGE} AND ${OUTCOME} = 'ok'`,
  ),
  /** Failed USSD questions by kind: p50 and p95 of the time the asker waited for the failure. */
  failureLatency: percentiles(
    `SELECT outcome AS key, latency_ms AS ms FROM questions WHERE ${USSD_IN_RANGE} AND ${OUTCOME} <> 'ok'`,
  ),
  helpfulPerDay: `SELECT ${day('at')} AS d, count(*) AS n, sum(helpful) AS h FROM feedback WHERE ${inRange('at')} GROUP BY ${day('at')}`,
  quotaHitsPerDay: `SELECT ${day('at')} AS d, count(*) AS qh FROM tier_events
    WHERE event = 'quota-hit' AND ${inRange('at')} GROUP BY ${day('at')}`,
  /** The window's questions (both channels) by their text as typed, with their ratings, for the topics. */
  questionsRated: `SELECT question, count(*) AS asked, sum(rated) AS rated, sum(helpful) AS helpful FROM (
      SELECT q.question AS question, count(f.id) AS rated, coalesce(sum(f.helpful), 0) AS helpful
      FROM questions q LEFT JOIN feedback f ON f.question_id = q.id
      WHERE ${inRange('q.at')} GROUP BY q.id, q.question
    ) per_question GROUP BY question`,
} as const;
