// Reading the form AT posts (urlencoded, or multipart) into URLSearchParams;
// anything else is the sender's fault and gets its 4xx here. It must not parse the hop's fields:
// protocol/at.ts does.
import type { Context } from 'hono';

/** The form AT posts, or the 415 response for anything else. */
export async function readForm(c: Context): Promise<URLSearchParams | Response> {
  const type = (c.req.header('content-type') ?? '').split(';')[0]?.trim().toLowerCase() ?? '';
  // Hono's parseBody() measured at under half the throughput of URLSearchParams here (issue 2).
  if (type === 'application/x-www-form-urlencoded' || type === '') {
    try {
      return new URLSearchParams(await c.req.text());
    } catch {
      // The client went away in the middle of its body: its fault, and nobody is left to answer.
      return c.text('Bad request: the body could not be read\n', 400);
    }
  }
  if (type === 'multipart/form-data') {
    let body: Awaited<ReturnType<typeof c.req.parseBody>>;
    try {
      body = await c.req.parseBody();
    } catch {
      // A malformed multipart body (no boundary, garbage) is the client's fault, not a hop's.
      return c.text('Bad request: the multipart body could not be read\n', 400);
    }
    return new URLSearchParams(
      Object.entries(body).flatMap(([k, v]): [string, string][] => (typeof v === 'string' ? [[k, v]] : [])),
    );
  }
  return c.text(
    "Unsupported media type: send application/x-www-form-urlencoded, as Africa's Talking does\n",
    415,
  );
}
