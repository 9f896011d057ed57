// An input screen's rule (menus/*.yaml `validate`: length, pattern, number range) applied to what
// the phone typed. Pure; the rule itself was checked when the journey was loaded.
import type { Screen } from './types.ts';

export function acceptsInput(screen: Extract<Screen, { type: 'input' }>, value: string): boolean {
  const rule = screen.validate;
  if (value.length === 0) return false;
  if (!rule) return true;
  if (rule.minLength !== undefined && value.length < rule.minLength) return false;
  if (rule.maxLength !== undefined && value.length > rule.maxLength) return false;
  if (rule.pattern !== undefined && !new RegExp(`^(?:${rule.pattern})$`, 'u').test(value)) return false;
  if (rule.min !== undefined || rule.max !== undefined) {
    if (!/^-?\d+(\.\d+)?$/.test(value)) return false;
    const n = Number(value);
    if (rule.min !== undefined && n < rule.min) return false;
    if (rule.max !== undefined && n > rule.max) return false;
  }
  return true;
}
