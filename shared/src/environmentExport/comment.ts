/**
 * Text that goes into a comment line of a generated file. A line break inside (a path with one)
 * would end the comment and make the rest a live line: a requirement, a shell command.
 */
export function oneLine(s: string): string {
  return s.replace(/[\r\n\u2028\u2029\u0085]+/g, ' ');
}
