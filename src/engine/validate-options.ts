// The options of a menu or language screen, checked with the rest of the journey at boot: each
// label in every language, no key used twice or clashing with navigation, each language option's
// language in the journey, and a menu's `showTo` (issue 14): every phone, whatever its plan, is
// left an option, and hiding one leaves no gap in the numbers a phone sees. Pure.
import type { LanguageScreen, MenuScreen, Plan, Text } from './types.ts';
import { PLANS } from './types.ts';

type Add = (file: string, path: string, message: string) => void;

export function checkOptions(
  screen: MenuScreen | LanguageScreen,
  languages: readonly string[],
  navKeys: readonly string[],
  add: Add,
  checkText: (file: string, path: string, text: Text | undefined) => void,
): void {
  const at = `screens.${screen.id}`;
  const seen = new Set<string>();
  screen.options.forEach((o, i) => {
    checkText(screen.file, `${at}.options[${i}].label`, o.label);
    if (seen.has(o.key)) add(screen.file, `${at}.options[${i}].key`, `key '${o.key}' used twice`);
    seen.add(o.key);
    if (navKeys.includes(o.key))
      add(
        screen.file,
        `${at}.options[${i}].key`,
        `key '${o.key}' clashes with a navigation key (back/home/more)`,
      );
    if ('lang' in o && !languages.includes(o.lang))
      add(screen.file, `${at}.options[${i}].lang`, `'${o.lang}' is not in journey.languages`);
  });
  if (screen.type === 'menu') checkShowTo(screen, add);
}

function checkShowTo(screen: MenuScreen, add: Add): void {
  const at = `screens.${screen.id}`;
  const options = screen.options;
  // Keys numbered 1, 2, 3 in order (the default): hiding one must not leave "1. …" then "3. …".
  // Keys an author gave by hand are theirs, gaps and all.
  const numbered = options.every((o, i) => o.key === String(i + 1));
  for (const plan of PLANS) {
    const shown = options.filter((o) => o.showTo === undefined || o.showTo === plan);
    if (shown.length === 0) {
      add(
        screen.file,
        `${at}.options`,
        `${PHONE[plan]} would see no option here (every option is showTo: ${other(plan)})`,
      );
      continue;
    }
    if (!numbered || shown.every((o, i) => o.key === String(i + 1))) continue;
    const gap = options.findIndex((o) => o.showTo !== undefined && o.showTo !== plan);
    add(
      screen.file,
      `${at}.options[${gap}].showTo`,
      `hidden from ${PHONE[plan]}, it leaves a gap in the keys that phone sees (${shown.map((o) => o.key).join(', ')}): put it after the options every phone sees, or give every option its key`,
    );
  }
}

const PHONE: Readonly<Record<Plan, string>> = { free: 'a free phone', subscribed: 'a subscribed phone' };

function other(plan: Plan): Plan {
  return plan === 'free' ? 'subscribed' : 'free';
}
