// What the fake Ollama (fake-ollama.ts) does in place of a model. No intelligence: `groundedAnswer`
// (the `answer` knob, `--answer-mode grounded`) is a perfectly obedient reader of the gateway's
// prompt shape, which answers with the lead of the first note the question came with, and says it
// does not know when none came. Against it, `npm run eval` measures what the gateway controls:
// which passages reach the prompt, in which language, and whether their lead fits the first
// screen. `rendering` lays the prompt out as Ollama's template does, for its prompt cache.

interface Message {
  role?: string;
  content?: string;
}

/** The first note of the question's prompt: the last user message's, or a system message's (notes-system). */
export function firstNote(body: Record<string, unknown>): string | null {
  const messages = (Array.isArray(body['messages']) ? body['messages'] : []) as Message[];
  const last = messages.at(-1);
  const notes =
    last?.role === 'user' && last.content?.startsWith('Notes:')
      ? last.content
      : messages.slice(1).find((m) => m.role === 'system' && m.content?.startsWith('Notes:'))?.content;
  const line = notes?.split('\n').find((l) => l.startsWith('- '));
  if (!line) return null;
  const colon = line.indexOf(': ');
  return colon < 0 ? line.slice(2) : line.slice(colon + 2);
}

/**
 * The lead of the first note (its first sentence, and the second when both fit ~120 characters),
 * or "do not know" in the language the system prompt asks for.
 */
export function groundedAnswer({ body }: { body: Record<string, unknown> }): string {
  const note = firstNote(body);
  if (note === null) {
    const system = ((body['messages'] as Message[] | undefined)?.[0]?.content ?? '') as string;
    return /Answer in simple Swahili/.test(system)
      ? 'Sijui hilo. Tafadhali uliza mhudumu wa afya.'
      : 'I do not know that. Please ask a health worker.';
  }
  const sentences = note.match(/[^.!?]+[.!?]+(?=\s|$)/g) ?? [note];
  const [first = note, second] = sentences.map((s) => s.trim());
  return second !== undefined && first.length + second.length < 120 ? `${first} ${second}` : first;
}

/** The prompt as Ollama's template lays it out: every system message first, then the rest in order. */
export function rendering(kind: 'chat' | 'generate', body: Record<string, unknown>): string {
  if (kind === 'generate') return String(body['system'] ?? '') + String(body['prompt'] ?? '');
  const messages = (Array.isArray(body['messages']) ? body['messages'] : []) as {
    role?: string;
    content?: string;
  }[];
  const system = messages.filter((m) => m.role === 'system').map((m) => m.content ?? '');
  const rest = messages.filter((m) => m.role !== 'system').map((m) => `<|${m.role}|>${m.content ?? ''}`);
  return `<|system|>${system.join('\n\n')}${rest.join('')}`;
}

export function commonPrefix(a: string, b: string): number {
  let i = 0;
  while (i < a.length && i < b.length && a[i] === b[i]) i++;
  return i;
}
