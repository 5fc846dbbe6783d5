/**
 * Judging a candidate value: is it random enough to be a credential, or is it a placeholder,
 * a name or a lookup that merely sits where a credential would? These checks are what keeps
 * the generic assignment rule from flagging every `tokenizer = ...` in a notebook.
 */

/** Shannon entropy in bits per character. */
export function shannonEntropy(s: string): number {
  if (s.length === 0) return 0;
  const counts = new Map<string, number>();
  for (const ch of s) counts.set(ch, (counts.get(ch) ?? 0) + 1);
  let bits = 0;
  for (const n of counts.values()) {
    const p = n / s.length;
    bits -= p * Math.log2(p);
  }
  return bits;
}

/** Words that mark documentation and templates (`{name}` of an f-string too), not real credentials. */
const PLACEHOLDER_WORDS =
  /x{4,}|\*{3,}|\.{3}|your|change_?me|replace|placeholder|example|dummy|redacted|fake|sample|insert|here|<|>|\$\{|\{[A-Za-z_]|%\(/i;

/** Placeholders a real token of a known shape never contains (AWS's documented EXAMPLE keys). */
const SHAPED_PLACEHOLDER = /x{6,}|EXAMPLE/i;

/** Azurite's well-known development account key: published in its README, never a secret. */
const AZURITE_DEV_KEY = 'Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==';

/** For rules that match a token's own shape (a prefix and a length): only obvious stand-ins. */
export function isShapedPlaceholder(secret: string): boolean {
  return SHAPED_PLACEHOLDER.test(secret) || secret === AZURITE_DEV_KEY;
}

/** Environment variable names (`HUGGINGFACE_HUB_TOKEN`): the name of a secret, not one. */
const ENV_VAR_NAME = /^[A-Z][A-Z0-9]*(?:_[A-Z0-9]+)+$/;

/** Dash- or dot-separated lower-case words (`prod-db-credentials`): a resource name. */
const WORDS_NAME = /^[a-z]+(?:[-_.][a-z]+\d*)+$/;

/** A dotted identifier (`os.environ`, `AutoTokenizer.from_pretrained`): code, not a value. */
const DOTTED_IDENTIFIER = /^[A-Za-z_$][\w$]*(?:\.[A-Za-z_$][\w$]*)+$/;

/** Paths and URLs: where a credential is kept, not the credential. */
const PATH_OR_URL = /:\/\/|^\.{0,2}\/|^~\/|\\|\.(?:txt|json|ya?ml|pem|key|env|cfg|ini|toml|csv|pkl)$/i;

const MIN_ENTROPY_BITS = 3.5;

/**
 * Whether a value assigned to a secret-sounding name looks like a real credential. `bare` is an
 * unquoted value, which in code is usually an expression: it must also contain a digit.
 */
export function looksLikeCredential(value: string, bare: boolean): boolean {
  if (PLACEHOLDER_WORDS.test(value) || PATH_OR_URL.test(value)) return false;
  if (ENV_VAR_NAME.test(value) || WORDS_NAME.test(value) || DOTTED_IDENTIFIER.test(value)) return false;
  if (bare && !/\d/.test(value)) return false;
  return shannonEntropy(value) >= MIN_ENTROPY_BITS;
}

/**
 * Words a variable name must contain for the generic assignment rule, as a regex source.
 * `authorization` is for `{"Authorization": "Bearer …"}` request headers.
 */
export const SECRET_NAME_WORDS = String.raw`token|secret|passw(?:or)?d|api[_-]?key|access[_-]?key|authorization`;

const SECRET_NAME_KEYWORD = new RegExp(SECRET_NAME_WORDS, 'gi');

/**
 * Whether a variable name names a credential: a keyword that is a word of the name, not a prefix
 * of a longer word. `hf_token`, `accessToken`, `API_KEY` do; `tokenizer`, `max_tokens`,
 * `TOKENIZER`, `secrets_path` do not.
 */
export function namesASecret(name: string): boolean {
  for (const m of name.matchAll(SECRET_NAME_KEYWORD)) {
    const next = name[m.index + m[0].length];
    if (next === undefined) return true;
    const keywordIsUpper = m[0] === m[0].toUpperCase();
    const nextIsLetter = /[A-Za-z]/.test(next);
    const nextIsLower = /[a-z]/.test(next);
    if (keywordIsUpper ? !nextIsLetter : !nextIsLower) return true;
  }
  return false;
}
