/** The one minus sign of every summary: U+2212, as typeset numbers use, never a hyphen. */
export const MINUS = '\u2212';

/**
 * A number with its sign always shown: "+2,400", "−4.4", "±0". `digits` fixes the decimals
 * (default: integers with thousands separators).
 */
export function signed(n: number, digits?: number): string {
  const sign = n > 0 ? '+' : n < 0 ? MINUS : '±';
  const abs = Math.abs(n);
  return `${sign}${digits === undefined ? abs.toLocaleString('en-US') : abs.toFixed(digits)}`;
}
