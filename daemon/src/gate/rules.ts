/**
 * The secret rules and the matcher that runs them over one piece of decoded text.
 *
 * Each rule is one global regex run over the whole text. Why not line by line: a notebook's
 * text is millions of short lines, and a regex call per line per rule costs more than the
 * matching itself. The cap that keeps a hostile line from making a regex blow up is in the
 * patterns instead: every quantifier is bounded (512 characters; 8 KiB for a service account's
 * key, 16 KiB for a PEM block) and no pattern crosses a newline, so the work per starting position
 * is bounded and a scan is linear in the text, however long its lines.
 *
 * Rules are listed most specific first. When two rules match overlapping text (a Hugging Face
 * token assigned to `HF_TOKEN`, a private key inside a service account file), only the earlier
 * rule is kept.
 */
import type { FindingRule } from './types';
import { isShapedPlaceholder, looksLikeCredential, namesASecret, SECRET_NAME_WORDS } from './values';

/** A rule's match in a text, before it becomes a Finding. Offsets are into the whole text. */
export interface Candidate {
  rule: SecretRule;
  start: number;
  end: number;
  secret: string;
}

export interface SecretRule {
  name: FindingRule;
  /** What was found, for the message ("an AWS access key id"). */
  what: string;
  /** Global, with the `d` flag: the secret is the first named group that matched. */
  pattern: RegExp;
  /** Named groups that can hold the secret, in order. */
  groups: readonly string[];
  /** The part of the secret an excerpt may show: a fixed public prefix (`AKIA`, `ghp_`). */
  shown: (secret: string) => string;
  /** Rejects a match (placeholders, names that are not credentials). */
  accept: (secret: string, m: RegExpExecArray, text: string) => boolean;
  /** A whole-text precondition: the service-account rule needs the file to declare one. */
  appliesTo?: (text: string) => boolean;
  /** Where the secret ends when it runs past the match (a PEM block ends at its END line). */
  extendEnd?: (text: string, start: number, end: number) => number | null;
}

const SECRET = ['secret'] as const;
const nothingShown = (): string => '';
const prefixShown =
  (re: RegExp) =>
  (secret: string): string =>
    re.exec(secret)?.[0] ?? '';
const notPlaceholder = (secret: string): boolean => !isShapedPlaceholder(secret);

/** `=`, `:`, `=>` or `:=` between a name and its value, on one line, with an optional closing quote and `]`. */
const ASSIGN = String.raw`["'\]]{0,2}[^\S\n]{0,8}(?:=>|:=|=|:)[^\S\n]{0,8}(?:[rbfuRBFU]{0,2}["'])?`;

/**
 * `name <assign> value`, the secret being the value. `notAfter` is what may not precede the name
 * (empty: anything may, the name is a suffix of a longer one).
 */
function assignment(name: string, value: string, notAfter = String.raw`[\w-]`): RegExp {
  const boundary = notAfter ? `(?<!${notAfter})["']?` : '';
  return new RegExp(String.raw`${boundary}${name}${ASSIGN}(?<secret>${value})`, 'dgi');
}

const SERVICE_ACCOUNT_TYPE = /["']?type["']?[^\S\n]{0,8}[:=][^\S\n]{0,8}["']?service_account\b/;

/** How far a PEM block may run past its header (a 4096-bit RSA key is about 3.3 KB). */
const PEM_MAX_CHARS = 16 * 1024;

/**
 * Where a PEM block ends (after its END line), or null when its body holds no key material
 * (`...` in documentation). The body stops at the next `-----`: searching only that far keeps a
 * text of repeated headers linear, since consecutive searches never overlap.
 */
function pemEnd(text: string, _start: number, headerEnd: number): number | null {
  const limit = Math.min(text.length, headerEnd + PEM_MAX_CHARS);
  let bodyEnd = text.indexOf('-----', headerEnd);
  if (bodyEnd < 0 || bodyEnd > limit) bodyEnd = limit;
  const body = text.slice(headerEnd, bodyEnd).replace(/\\n/g, '');
  if ((body.match(/[A-Za-z0-9+/]/g)?.length ?? 0) < 64) return null;
  if (!text.startsWith('-----END ', bodyEnd)) return bodyEnd;
  const close = text.slice(bodyEnd, bodyEnd + 64).indexOf('-----', 9);
  return close >= 0 ? bodyEnd + close + 5 : bodyEnd;
}

/** OpenAI keys mix cases and digits; `sk-learn-compatible-wrapper` and Anthropic's `sk-ant-` do not count. */
function isOpenAiKey(secret: string): boolean {
  if (secret.startsWith('sk-ant-') || isShapedPlaceholder(secret)) return false;
  const body = secret.replace(/^sk-(?:proj-|svcacct-|admin-)?/, '');
  return body.length >= 32 && /[a-z]/.test(body) && /[A-Z]/.test(body) && /\d/.test(body);
}

/**
 * The generic rule starts at the keyword, not at the name: a pattern that starts at every word
 * and searches it for a keyword costs ten times more on ordinary text. The rest of the name, before
 * the keyword, is read back by `nameBefore`.
 */
const HIGH_ENTROPY_ASSIGNMENT = new RegExp(
  String.raw`(?<name>(?:${SECRET_NAME_WORDS})[\w.-]{0,40}?)["'\]]{0,2}` +
    String.raw`[^\S\n]{0,8}(?:=>|:=|=|:)[^\S\n]{0,8}` +
    String.raw`(?:[rbfu]{0,2}(?<vq>["'\x60])(?:Bearer |Basic )?(?<quoted>[^\s"'\x60]{16,512})\k<vq>` +
    // A bare value stops at `=` and `:` (but keeps base64 padding), so `token=token=…` is short
    // work. A lookahead is atomic: capturing the value inside one and matching it back makes the
    // run possessive, so a run that fails the terminator check is not retried shorter.
    String.raw`|(?:Bearer |Basic )?(?=(?<bare>[^\s"'\x60,;:=()\[\]{}<>]{16,512}={0,2}))\k<bare>(?=[\s"'\x60,;)\]}>]|$))`,
  'dgi',
);

const NAME_CHAR = /[\w.$-]/;

/** The whole variable name a keyword match sits in: `hf_` + `token`, `self.api_` + `key`. */
function nameBefore(text: string, m: RegExpExecArray): string {
  let from = m.index;
  while (from > 0 && m.index - from < 40 && NAME_CHAR.test(text[from - 1] ?? '')) from--;
  return text.slice(from, m.index) + (m.groups?.['name'] ?? '');
}

export const RULES: readonly SecretRule[] = [
  {
    name: 'gcp-service-account',
    what: 'a Google Cloud service account private key',
    pattern:
      /(?<!\w)["']?private_key["']?[^\S\n]{0,8}[:=][^\S\n]{0,8}["']?(?<secret>-----BEGIN [A-Z ]{0,20}PRIVATE KEY-----[^"'\n]{0,8192})/dg,
    groups: SECRET,
    shown: prefixShown(/^-----BEGIN [A-Z ]*PRIVATE KEY-----/),
    accept: (secret) => /[A-Za-z0-9+/]{64}/.test(secret.replace(/\\n/g, '')),
    appliesTo: (text) => SERVICE_ACCOUNT_TYPE.test(text),
  },
  {
    name: 'private-key',
    what: 'a private key (PEM)',
    pattern: /(?<secret>-----BEGIN (?:RSA |EC |DSA |OPENSSH |ENCRYPTED |PGP )?PRIVATE KEY(?: BLOCK)?-----)/dg,
    groups: SECRET,
    shown: (secret) => secret.slice(0, secret.indexOf('-----', 5) + 5),
    accept: () => true,
    extendEnd: pemEnd,
  },
  {
    name: 'aws-access-key',
    what: 'an AWS access key id',
    pattern: /(?<![A-Za-z0-9])(?<secret>(?:AKIA|ASIA)[A-Z0-9]{16})(?![A-Za-z0-9])/dg,
    groups: SECRET,
    shown: (secret) => secret.slice(0, 4),
    accept: notPlaceholder,
  },
  {
    name: 'aws-secret-key',
    what: 'an AWS secret access key',
    pattern: assignment(
      String.raw`(?:aws[_-]?secret[_-]?(?:access[_-]?)?key|secret[_-]?access[_-]?key)`,
      String.raw`[A-Za-z0-9/+]{40}(?![A-Za-z0-9/+=])`,
    ),
    groups: SECRET,
    shown: nothingShown,
    accept: notPlaceholder,
  },
  {
    name: 'azure-connection-string',
    what: 'an Azure connection string key',
    pattern:
      /(?<![A-Za-z0-9])(?:AccountKey|SharedAccessKey)=(?<secret>[A-Za-z0-9+/]{42,100}={0,2})(?![A-Za-z0-9+/=])/dg,
    groups: SECRET,
    shown: nothingShown,
    accept: notPlaceholder,
  },
  {
    name: 'azure-storage-key',
    what: 'an Azure storage account key',
    // Any name ending in account_key / storage_key / azure_key (`AZURE_STORAGE_ACCOUNT_KEY`):
    // matched from the keyword on, whatever precedes it.
    pattern: assignment(
      String.raw`(?:account|storage|azure)[_-]?(?:access[_-]?)?key`,
      String.raw`[A-Za-z0-9+/]{86}==(?![A-Za-z0-9+/=])`,
      '',
    ),
    groups: SECRET,
    shown: nothingShown,
    accept: notPlaceholder,
  },
  {
    name: 'github-token',
    what: 'a GitHub token',
    pattern:
      /(?<![A-Za-z0-9_])(?<secret>gh[pousr]_[A-Za-z0-9]{36,251}|github_pat_[A-Za-z0-9_]{70,251})(?![A-Za-z0-9_])/dg,
    groups: SECRET,
    shown: prefixShown(/^(?:gh[pousr]_|github_pat_)/),
    accept: notPlaceholder,
  },
  {
    name: 'gitlab-token',
    what: 'a GitLab personal access token',
    pattern: /(?<![A-Za-z0-9_-])(?<secret>glpat-[A-Za-z0-9_.-]{20,128})(?![A-Za-z0-9_.-])/dg,
    groups: SECRET,
    shown: () => 'glpat-',
    accept: notPlaceholder,
  },
  {
    name: 'slack-token',
    what: 'a Slack token',
    pattern: /(?<![A-Za-z0-9-])(?<secret>xox[bpar]-[0-9]{1,16}-[A-Za-z0-9-]{10,128})(?![A-Za-z0-9-])/dg,
    groups: SECRET,
    shown: (secret) => secret.slice(0, 5),
    accept: notPlaceholder,
  },
  {
    name: 'slack-token',
    what: 'a Slack incoming webhook URL',
    pattern:
      /hooks\.slack\.com\/services\/(?<secret>T[A-Z0-9]{6,12}\/B[A-Z0-9]{6,12}\/[A-Za-z0-9]{20,32})(?![A-Za-z0-9])/dg,
    groups: SECRET,
    shown: nothingShown,
    accept: notPlaceholder,
  },
  {
    name: 'huggingface-token',
    what: 'a Hugging Face token',
    pattern: /(?<![A-Za-z0-9_])(?<secret>hf_[A-Za-z0-9]{30,64})(?![A-Za-z0-9_])/dg,
    groups: SECRET,
    shown: () => 'hf_',
    accept: notPlaceholder,
  },
  {
    name: 'openai-key',
    what: 'an OpenAI API key',
    pattern: /(?<![A-Za-z0-9_-])(?<secret>sk-[A-Za-z0-9_-]{20,200})(?![A-Za-z0-9_-])/dg,
    groups: SECRET,
    shown: prefixShown(/^sk-(?:proj-|svcacct-|admin-)?/),
    accept: isOpenAiKey,
  },
  {
    name: 'gcp-api-key',
    what: 'a Google Cloud API key',
    pattern: /(?<![A-Za-z0-9_-])(?<secret>AIza[0-9A-Za-z_-]{35})(?![A-Za-z0-9_-])/dg,
    groups: SECRET,
    shown: () => 'AIza',
    accept: notPlaceholder,
  },
  {
    name: 'high-entropy-assignment',
    what: 'a random-looking value assigned to a secret-sounding name',
    pattern: HIGH_ENTROPY_ASSIGNMENT,
    groups: ['quoted', 'bare'],
    shown: nothingShown,
    accept: (secret, m, text) =>
      namesASecret(nameBefore(text, m)) && looksLikeCredential(secret, m.groups?.['bare'] !== undefined),
  },
];

/** The secret group of a match and its offsets. */
function secretOf(rule: SecretRule, m: RegExpExecArray): { secret: string; start: number; end: number } | null {
  for (const group of rule.groups) {
    const value = m.groups?.[group];
    const span = m.indices?.groups?.[group];
    if (value !== undefined && span) return { secret: value, start: span[0], end: span[1] };
  }
  return null;
}

/**
 * Matches kept per rule and text. A text of a million pasted keys needs no million findings to be
 * refused, and the cap keeps the work after matching (ids, excerpts) small.
 */
const MAX_MATCHES_PER_RULE = 1000;

function ruleCandidates(rule: SecretRule, text: string): Candidate[] {
  if (rule.appliesTo && !rule.appliesTo(text)) return [];
  const out: Candidate[] = [];
  rule.pattern.lastIndex = 0;
  for (let m = rule.pattern.exec(text); m !== null && out.length < MAX_MATCHES_PER_RULE; m = rule.pattern.exec(text)) {
    const hit = secretOf(rule, m);
    if (!hit || !rule.accept(hit.secret, m, text)) continue;
    let { end, secret } = hit;
    if (rule.extendEnd) {
      const extended = rule.extendEnd(text, hit.start, end);
      if (extended === null) continue;
      end = extended;
      secret = text.slice(hit.start, end);
    }
    out.push({ rule, start: hit.start, end, secret });
    // Resume after the secret: matches inside a PEM block would only be dropped as overlaps, and
    // resuming there keeps each rule's candidates apart, which withoutOverlaps relies on.
    if (end > rule.pattern.lastIndex) rule.pattern.lastIndex = end;
  }
  return out;
}

/**
 * The candidates of `next` that overlap none of `kept`. Both are sorted by start and hold no
 * overlaps among themselves, so one sweep does it.
 */
function withoutOverlaps(kept: readonly Candidate[], next: readonly Candidate[]): Candidate[] {
  const out: Candidate[] = [];
  let i = 0;
  for (const c of next) {
    while (i < kept.length && (kept[i] as Candidate).end <= c.start) i++;
    const k = kept[i];
    if (k === undefined || k.start >= c.end) out.push(c);
  }
  return out;
}

function byStart(a: Candidate, b: Candidate): number {
  return a.start - b.start;
}

/**
 * Every rule's matches in `text`, in text order, overlaps resolved in favour of the earlier (more
 * specific) rule. `all` also receives the dropped overlaps: excerpts must not show those either.
 */
export function findCandidates(text: string, all: Candidate[] = []): Candidate[] {
  let kept: Candidate[] = [];
  for (const rule of RULES) {
    const found = ruleCandidates(rule, text);
    all.push(...found);
    const fresh = withoutOverlaps(kept, found);
    if (fresh.length > 0) kept = [...kept, ...fresh].sort(byStart);
  }
  return kept;
}
