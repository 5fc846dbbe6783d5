/**
 * A tokenizer for the part of Python's lexical grammar that reading parameters needs: names,
 * numbers, strings (every prefix and quoting), operators and brackets, with comments, line
 * continuations and IPython magics skipped. It never evaluates anything, and it never throws:
 * what it cannot read becomes an `error` token so the statement holding it is dropped.
 */

export type TokenKind = 'name' | 'number' | 'string' | 'op' | 'newline' | 'error';

export interface Token {
  kind: TokenKind;
  /** The source text of the token (a string keeps its prefix and quotes). */
  text: string;
  start: number;
  end: number;
  /** Characters from the start of its physical line: 0 means "not indented". */
  column: number;
  /** Brackets around the token (a bracket has its outside's): `=` at depth 0 assigns, at 1 it is a keyword argument. */
  depth: number;
}

const NAME_START = /[A-Za-z_\u0080-\uffff]/;
const NAME = /[A-Za-z0-9_\u0080-\uffff]*/y;
/** Python's numeric literals, underscores and all; `j` (imaginary) is kept so the parser can refuse it. */
const NUMBER =
  /0[xX](?:_?[0-9a-fA-F])+|0[oO](?:_?[0-7])+|0[bB](?:_?[01])+|(?:\d(?:_?\d)*(?:\.(?:\d(?:_?\d)*)?)?|\.\d(?:_?\d)*)(?:[eE][+-]?\d(?:_?\d)*)?[jJ]?/y;
/** Longest first, so `==`, `+=` and `:=` are never read as an assignment's `=`. */
const OPERATOR = /\*\*=|\/\/=|>>=|<<=|\.\.\.|->|[-+*/%@&|^=!<>:]=|\*\*|\/\/|<<|>>|[^\s]/y;
/** String prefixes, lowercased: f and t strings are templates, which the literal parser refuses. */
const STRING_PREFIXES = new Set(['r', 'u', 'b', 'f', 't', 'br', 'rb', 'fr', 'rf', 'tr', 'rt']);
const OPENERS = '([{';
const CLOSERS = ')]}';

class Scanner {
  private pos = 0;
  private depth = 0;
  private lineStart = 0;
  /** Whether a token was emitted since the last logical newline (magics only start a line). */
  private lineHasTokens = false;
  readonly tokens: Token[] = [];

  constructor(private readonly src: string) {}

  run(): Token[] {
    while (this.pos < this.src.length) this.step();
    return this.tokens;
  }

  private step(): void {
    const ch = this.src[this.pos] ?? '';
    if (ch === '\n') return this.newline();
    if (ch === ' ' || ch === '\t' || ch === '\f' || ch === '\r') return void this.pos++;
    if (ch === '#') return this.skipLine();
    if (ch === '\\' && this.src[this.pos + 1] === '\n') return void (this.pos += 2);
    // IPython's `%magic` and `!shell` lines are not Python; reading them would misread quotes.
    if ((ch === '%' || ch === '!') && !this.lineHasTokens && this.depth === 0) return this.skipLine();
    if (ch === '"' || ch === "'") return this.string(this.pos, this.pos);
    if (/\d/.test(ch) || (ch === '.' && /\d/.test(this.src[this.pos + 1] ?? ''))) return this.number();
    if (NAME_START.test(ch)) return this.name();
    this.operator();
  }

  private newline(): void {
    // Inside brackets a newline is whitespace; at depth 0 it ends the logical line.
    if (this.depth === 0 && this.lineHasTokens) this.push('newline', this.pos, this.pos + 1);
    this.pos++;
    this.lineStart = this.pos;
    if (this.depth === 0) this.lineHasTokens = false;
  }

  private skipLine(): void {
    const end = this.src.indexOf('\n', this.pos);
    this.pos = end < 0 ? this.src.length : end;
  }

  private name(): void {
    const start = this.pos;
    NAME.lastIndex = start + 1;
    NAME.exec(this.src);
    const end = NAME.lastIndex;
    const quote = this.src[end];
    if ((quote === '"' || quote === "'") && STRING_PREFIXES.has(this.src.slice(start, end).toLowerCase())) {
      return this.string(start, end);
    }
    this.pos = end;
    this.push('name', start, end);
  }

  private number(): void {
    NUMBER.lastIndex = this.pos;
    const match = NUMBER.exec(this.src);
    const end = match === null ? this.pos + 1 : NUMBER.lastIndex;
    this.push(match === null ? 'error' : 'number', this.pos, end);
    this.pos = end;
  }

  /** A string from its prefix at `start`, its opening quote at `quoteAt`. */
  private string(start: number, quoteAt: number): void {
    const quote = this.src[quoteAt] ?? '';
    const triple = this.src.startsWith(quote.repeat(3), quoteAt);
    const closer = triple ? quote.repeat(3) : quote;
    let i = quoteAt + closer.length;
    for (;;) {
      const c = this.src[i];
      if (c === undefined || (c === '\n' && !triple)) {
        // Unterminated: an error up to here, so its statement is dropped and scanning goes on.
        this.push('error', start, i);
        this.pos = i;
        return;
      }
      // A backslash hides the next character even in raw strings: r'\'' is one string.
      if (c === '\\') i += 2;
      else if (this.src.startsWith(closer, i)) break;
      else i++;
    }
    this.pos = i + closer.length;
    this.push('string', start, this.pos);
  }

  private operator(): void {
    OPERATOR.lastIndex = this.pos;
    OPERATOR.exec(this.src);
    const start = this.pos;
    const end = Math.max(OPERATOR.lastIndex, start + 1);
    const text = this.src.slice(start, end);
    // A bracket pair shares the depth outside it.
    if (CLOSERS.includes(text)) this.depth = Math.max(0, this.depth - 1);
    this.pos = end;
    this.push('op', start, end);
    if (OPENERS.includes(text)) this.depth++;
  }

  private push(kind: TokenKind, start: number, end: number): void {
    const text = this.src.slice(start, end);
    this.tokens.push({ kind, text, start, end, column: start - this.lineStart, depth: this.depth });
    if (kind !== 'newline') this.lineHasTokens = true;
  }
}

/** Python source (CRLF already normalized to LF) as tokens; logical line ends are `newline` tokens. */
export function tokenizePython(source: string): Token[] {
  return new Scanner(source).run();
}
