// How a handset lays a screen out: lines wrapped at its width, at spaces where it can. Used to draw
// screens (`npm run dial`) and to warn of screens that read badly at that width (menus:check).
// Pure.

/** Characters per line on a typical feature phone (20-24): the width screens are read at. */
export const HANDSET_COLUMNS = 22;

/** Wraps a screen as a handset does: at spaces where it can, mid-word when a word is too long. */
export function wrapScreen(text: string, columns = HANDSET_COLUMNS): string[] {
  const lines: string[] = [];
  for (const paragraph of text.split('\n')) {
    let rest = [...paragraph.trimEnd()];
    if (rest.length === 0) lines.push('');
    while (rest.length > 0) {
      if (rest.length <= columns) {
        lines.push(rest.join(''));
        break;
      }
      const space = rest.lastIndexOf(' ', columns);
      const cut = space > 0 ? space : columns;
      lines.push(rest.slice(0, cut).join('').trimEnd());
      rest = rest.slice(space > 0 ? cut + 1 : cut);
    }
  }
  return lines;
}

/**
 * The lines of `text` whose wrap at `columns` leaves a short last word alone on a row ("Questions
 * left today:" / "5"): each as the line and the word. A runt of at most `runt` characters.
 */
export function runts(text: string, columns = HANDSET_COLUMNS, runt = 5): { line: string; word: string }[] {
  const found: { line: string; word: string }[] = [];
  for (const line of text.split('\n')) {
    const rows = wrapScreen(line, columns);
    const last = rows.at(-1) ?? '';
    if (rows.length > 1 && !last.includes(' ') && [...last].length <= runt) found.push({ line, word: last });
  }
  return found;
}
