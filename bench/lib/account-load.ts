// The reference menu's account path alone (issue 7's "menu hops"): shared/bench-peer/load.mjs's
// shape A ('' → '2' → '2*2' → '2*2*1', a fresh session id each time) without shape B's question,
// which the gateway answers through its AI path and the peer by reversing a string. Same autocannon
// settings and the same JSON fields as load.mjs, so the report treats both alike.
// --interleave K: each connection keeps K sessions open and sends their hops in turn, so a session's
// next hop comes K requests later and connections x K sessions are open at once, as when real users
// read and type between hops (1, the default: each connection walks one session straight through).
// --phones N: the sessions' phones cycle through N (0, the default: a new phone per session, so
// each session's first hop misses the gateway's profile cache and reads its records store).
//   node --import tsx bench/lib/account-load.ts --url http://127.0.0.1:3000/ussd [--duration 10]
//        [--connections 50] [--warmup 0] [--interleave 1] [--phones 0]
import { randomBytes } from 'node:crypto';
import { parseArgs } from 'node:util';
import autocannon from 'autocannon';

const { values: opt } = parseArgs({
  options: {
    url: { type: 'string', default: 'http://127.0.0.1:3000/ussd' },
    duration: { type: 'string', default: '10' },
    connections: { type: 'string', default: '50' },
    warmup: { type: 'string', default: '0' },
    interleave: { type: 'string', default: '1' },
    phones: { type: 'string', default: '0' },
  },
});
const url = new URL(opt.url);
if (!['127.0.0.1', 'localhost', '[::1]'].includes(url.hostname)) {
  process.stderr.write(`refusing to load ${url.hostname}: loopback targets only\n`);
  process.exit(2);
}
const duration = Math.min(Number(opt.duration), 300);
const connections = Math.min(Number(opt.connections), 1000);
const warmup = Math.min(Number(opt.warmup), 60);
const interleave = Math.max(1, Math.min(Math.trunc(Number(opt.interleave)) || 1, 10_000));
const phones = Math.max(0, Math.trunc(Number(opt.phones)) || 0);

const SHAPE: [string, string][] = [
  ['', 'CON Welcome to Ask\n1. Ask a question\n2. My account\n3. Help'],
  ['2', 'CON My account\n1. Balance\n2. Language\n0. Back'],
  ['2*2', 'CON Choose language\n1. English\n2. Swahili'],
  ['2*2*1', 'END Language saved'],
];

let seq = 0;
const stats = { replies: 0, violations: 0, mismatches: 0, sessions: 0, firstViolation: null as unknown };

// Per connection, the sessions it has open: slot -> id and phone.
interface Connection {
  sessions?: { sessionId: string; phoneNumber: string }[];
}

// Each hop of SHAPE once per slot: a connection sends hop 0 of its `interleave` sessions, then hop
// 1 of each, and so on, then starts as many fresh ones. With one slot, a session straight through.
const requests = SHAPE.flatMap(([text, expected], hop) =>
  Array.from({ length: interleave }, (_, slot) => ({
    method: 'POST',
    path: url.pathname + url.search,
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    setupRequest(req: { body?: string }, ctx: Connection) {
      ctx.sessions ??= [];
      if (hop === 0) {
        ++seq;
        stats.sessions++;
        ctx.sessions[slot] = {
          // AT's shape, `ATUid_` + 32 random hex (shared/research/at-protocol.md): a sequential
          // id would hide what random keys cost the log's indexes.
          sessionId: `ATUid_${randomBytes(16).toString('hex')}`,
          phoneNumber: `+2547${String(phones > 0 ? seq % phones : seq % 100_000_000).padStart(8, '0')}`,
        };
      }
      const session = ctx.sessions[slot];
      req.body = new URLSearchParams({
        sessionId: session?.sessionId ?? '',
        serviceCode: '*384*123#',
        phoneNumber: session?.phoneNumber ?? '',
        networkCode: '63902',
        text,
      }).toString();
      return req;
    },
    onResponse(status: number, body: string, _ctx: unknown, headers: Record<string, string>) {
      if (status < 200 || status > 299) return;
      stats.replies++;
      const type = String(headers['content-type'] ?? headers['Content-Type'] ?? '');
      if (!(/^(CON|END) /.test(body) && body.length <= 182 && type.startsWith('text/plain'))) {
        stats.violations++;
        stats.firstViolation ??= { body: body.slice(0, 80), type };
      }
      if (body !== expected) stats.mismatches++;
    },
  })),
);

const run = (seconds: number) =>
  autocannon({ url: url.origin, connections, duration: seconds, requests, timeout: 10 });

if (warmup > 0) {
  await run(warmup);
  Object.assign(stats, { replies: 0, violations: 0, mismatches: 0, sessions: 0, firstViolation: null });
}
const r = await run(duration);
process.stdout.write(
  `${JSON.stringify({
    url: opt.url,
    connections,
    interleave,
    duration_s: Number(r.duration.toFixed(2)),
    hops: r.requests.total,
    hops_per_s: Math.round(r.requests.total / r.duration),
    p50_ms: r.latency.p50,
    p99_ms: r.latency.p99,
    max_ms: r.latency.max,
    non2xx: r.non2xx,
    socket_errors: r.errors,
    timeouts: r.timeouts,
    errors: r.non2xx + r.errors,
    replies_checked: stats.replies,
    violations: stats.violations,
    menu_mismatches: stats.mismatches,
    sessions_started: stats.sessions,
    first_violation: stats.firstViolation,
  })}\n`,
);
