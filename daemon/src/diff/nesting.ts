/**
 * Nesting bounds for the JSON and YAML documents the parsers read. JSON.parse nests as deep as
 * the input does (V8's is not recursive), but everything after it is: JSON.stringify (a summary
 * sent over the wire), our own recursive walks, the yaml package's composer. A few kilobytes of
 * `[[[[…` then throw RangeError (stack overflow) far from the parser, or — when V8 happens to
 * compile a regular expression near the stack limit — abort the whole process ("RegExpCompiler
 * Allocation failed"). Checking depth up front, without recursion, turns that into an
 * invalid-file error naming the file. Real metrics files, notebooks and model headers nest a
 * few levels; the limits leave a wide margin.
 */
import { Lexer } from 'yaml';

/** Deepest JSON accepted: arrays and objects inside each other. */
export const MAX_JSON_NESTING = 256;

/** Deepest YAML accepted (the yaml package overflows the stack near 800 levels). */
export const MAX_YAML_NESTING = 100;

/** Whether a parsed JSON value nests arrays / objects deeper than `limit`. Iterative. */
export function jsonNestingExceeds(value: unknown, limit = MAX_JSON_NESTING): boolean {
  const stack: [unknown, number][] = [[value, 0]];
  for (let top = stack.pop(); top !== undefined; top = stack.pop()) {
    const [v, depth] = top;
    if (v === null || typeof v !== 'object') continue;
    if (depth + 1 > limit) return true;
    const children = Array.isArray(v) ? (v as unknown[]) : Object.values(v as Record<string, unknown>);
    for (const child of children) if (child !== null && typeof child === 'object') stack.push([child, depth + 1]);
  }
  return false;
}

/** Running nesting of a YAML text, from its lexical tokens (the lexer does not recurse). */
class YamlDepth {
  private flow = 0;
  private readonly indents: number[] = [];
  private lineIndent = 0;
  private lineStarted = false;
  private indicators = 0;
  max = 0;

  token(t: string): void {
    if (t === '\n' || t === '\r\n') return this.newLine();
    if (/^ +$/.test(t)) {
      if (!this.lineStarted) this.lineIndent = t.length;
      return;
    }
    if (t.startsWith('#') || t.length === 0 || t.charCodeAt(0) < 0x20) return; // comments, markers
    // A multi-line scalar (block scalar, folded quotes) is one value of the line that began it.
    if (t.includes('\n')) return;
    this.lineContent();
    if (t === '[' || t === '{') this.flow++;
    else if (t === ']' || t === '}') this.flow = Math.max(0, this.flow - 1);
    // Block indicators on one line nest without indentation ("- - - x", "? - a").
    else if (this.flow === 0 && (t === '-' || t === '?' || t === ':')) this.indicators++;
    this.max = Math.max(this.max, this.indents.length + this.indicators + this.flow);
  }

  private newLine(): void {
    this.lineIndent = 0;
    this.lineStarted = false;
    this.indicators = 0;
  }

  /** The first content of a line opens a block level deeper than every less-indented one. */
  private lineContent(): void {
    if (this.lineStarted) return;
    this.lineStarted = true;
    if (this.flow > 0) return;
    while ((this.indents[this.indents.length - 1] ?? -1) >= this.lineIndent) this.indents.pop();
    this.indents.push(this.lineIndent);
  }
}

/**
 * Whether a YAML text may nest deeper than `limit` (flow collections, indentation levels and
 * compact block indicators, counted together: it may overestimate, never underestimate).
 */
export function yamlNestingExceeds(text: string, limit = MAX_YAML_NESTING): boolean {
  const depth = new YamlDepth();
  for (const token of new Lexer().lex(text)) {
    depth.token(token);
    if (depth.max > limit) return true;
  }
  return false;
}
