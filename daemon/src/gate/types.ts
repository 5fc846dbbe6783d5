/**
 * What the secret gate reports. Kept apart from SecretGate.ts so the rule table and the
 * notebook reader can name these types without importing the gate (no import circle).
 */

/**
 * The rule that produced a finding: 'aws-access-key', 'aws-secret-key', 'gcp-service-account',
 * 'gcp-api-key', 'azure-storage-key', 'azure-connection-string', 'github-token', 'gitlab-token',
 * 'slack-token', 'huggingface-token', 'openai-key', 'private-key', 'high-entropy-assignment',
 * 'pickle-code-execution'.
 */
export type FindingRule = string;

/** Where in a file a finding sits: a notebook cell's source, an output, metadata, or plain text. */
export type FindingWhere = 'source' | 'output' | 'metadata' | 'text';

export interface Finding {
  /**
   * Stable across runs and machines for the same secret in the same file: `<rule>-<12 hex>` from
   * a hash of (path, rule, matched secret). Used by `push --allow <id>`. A secret that appears
   * twice in one file (a source and its printed output) gives two findings with one id.
   */
  id: string;
  rule: FindingRule;
  /** Project-relative path, as given. */
  path: string;
  /** 1-based cell number, for notebooks. */
  cell?: number;
  /** 1-based line within the cell source, output text, metadata or file. */
  line: number;
  where: FindingWhere;
  /** Redacted: never the secret itself; e.g. `key = "AKIA…(20 chars)"`. */
  excerpt: string;
  /** One sentence for the user: what was found and how to proceed. */
  message: string;
}

/** A piece of decoded text to scan, and where it came from. */
export interface TextUnit {
  where: FindingWhere;
  cell?: number;
  text: string;
  /**
   * Units of one group are views of the same thing (an output's text/plain and text/html, an
   * error's evalue and its traceback): a secret is reported once per group.
   */
  group: number;
}
