import * as path from 'node:path';
import { age } from '../../../shared/src/age';
import type { VersionInfo } from '../../../shared/src/domain';
import { lensExtensions } from '../../../shared/src/fileKinds';
import { lexicalInside } from '../project/ProjectPaths';

/** A string literal in code that names a model/metrics file, with its position. */
export interface PathLiteral {
  /** The literal's text, as written. */
  text: string;
  line: number;
  startChar: number;
  endChar: number;
}

/** Extensions whose paths get a lens (the file-kinds table): what torch.save, joblib.dump, to_onnx... write. */
const LITERAL = new RegExp(`(["'])([^"'\\r\\n]{1,400}?\\.(?:${lensExtensions().join('|')}))\\1`, 'g');

/** Every quoted path to a model-like file in `text` (Python source or a notebook cell). */
export function findPathLiterals(text: string): PathLiteral[] {
  const out: PathLiteral[] = [];
  const lines = text.split(/\r?\n/);
  lines.forEach((lineText, line) => {
    for (const m of lineText.matchAll(LITERAL)) {
      const start = (m.index ?? 0) + 1;
      out.push({ text: m[2] as string, line, startChar: start, endChar: start + (m[2] as string).length });
    }
  });
  return out;
}

/**
 * The project-relative path a literal refers to. Code runs with its own folder as the
 * working directory (Jupyter, `python script.py` from there), so relative paths resolve
 * against the document's folder; absolute paths must be inside the project.
 */
export function resolveLiteral(literal: string, documentPath: string, projectRoot: string): string | null {
  const abs = path.isAbsolute(literal) ? literal : path.resolve(path.dirname(documentPath), literal);
  return lexicalInside(projectRoot, abs);
}

/** "models/x.pt · 3 versions · 2 min ago" */
export function lensTitle(rel: string, count: number, latest: VersionInfo, now = Date.now()): string {
  return `${rel} · ${count} version${count === 1 ? '' : 's'} · ${age(latest.createdAt, now)}`;
}

export function hoverMarkdown(latest: VersionInfo, count: number, interpreter: string | null): string {
  const lines = [
    `**${latest.path}** — version ${latest.seq} of ${count}`,
    '',
    `- recorded ${new Date(latest.createdAt).toISOString()} (${latest.trigger})`,
    `- ${latest.size.toLocaleString('en-US')} bytes, blake3 \`${latest.blob.slice(0, 16)}\``,
  ];
  if (interpreter) lines.push(`- interpreter \`${interpreter}\``);
  if (latest.lineage) lines.push(`- written by \`${latest.lineage.sourcePath}\``);
  if (latest.tags.length > 0) lines.push(`- tags: ${latest.tags.join(', ')}`);
  return lines.join('\n');
}
