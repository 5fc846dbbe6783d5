/**
 * Characters that must never reach a generated file raw from a record: every control character
 * (C0, DEL, C1), the Unicode line and paragraph separators, and the bidirectional controls.
 * pip reads requirements files with Python's `str.splitlines()`, which also breaks lines at \v,
 * \f, \x1c-\x1e and \x85; TOML forbids control characters in comments; a bidi override makes a
 * line read as something other than what it is.
 */
const UNSAFE = /[\u0000-\u001f\u007f-\u009f\u2028\u2029\u200e\u200f\u202a-\u202e\u2066-\u2069]/g;

/**
 * Text that goes into a comment line of a generated file. A line break inside (a path with one)
 * would end the comment and make the rest a live line: a requirement, a shell command. Each run
 * of unsafe characters becomes one space.
 */
export function oneLine(s: string): string {
  return s.replace(new RegExp(`${UNSAFE.source}+`, 'g'), ' ');
}

/**
 * A value from a record, for a message: as JSON (in quotes, `\n` escaped), with what JSON leaves
 * raw but is unsafe in a comment or on a terminal escaped as well (`\u2028`), cut to `max`
 * characters. Never throws, whatever the value.
 */
export function quoted(value: unknown, max = 80): string {
  let text: string;
  try {
    text = JSON.stringify(value) ?? String(value);
  } catch {
    text = Object.prototype.toString.call(value);
  }
  text = text.replace(UNSAFE, (ch) => `\\u${(ch.codePointAt(0) ?? 0).toString(16).padStart(4, '0')}`);
  const chars = Array.from(text);
  return chars.length <= max ? text : `${chars.slice(0, max - 1).join('')}…`;
}
