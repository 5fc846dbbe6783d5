/**
 * Test-only builders of stage objects as a move writes them (defaults: a promotion of
 * models/m.safetensors to production by alice on laptop, at a fixed time). Not imported by
 * production code.
 */
import type { AuditRecord, StagePointer } from '../../../../shared/src/release';

export const T0 = 1796171600000;

export function auditRecord(over: Partial<AuditRecord> = {}): AuditRecord {
  return {
    format: 'mlsnap-audit',
    version: 1,
    model: 'models/m.safetensors',
    stage: 'production',
    action: 'promote',
    from: null,
    to: 'v0123456789abcdef',
    author: 'alice',
    host: 'laptop',
    at: T0,
    reason: null,
    gates: [],
    forced: false,
    previous: null,
    ...over,
  };
}

/** The pointer naming `audit`; `target` null unless given. */
export function stagePointer(audit: string, over: Partial<StagePointer> = {}): StagePointer {
  return {
    format: 'mlsnap-stage',
    version: 1,
    model: 'models/m.safetensors',
    stage: 'production',
    target: null,
    movedBy: 'alice',
    host: 'laptop',
    movedAt: T0,
    reason: null,
    audit,
    ...over,
  };
}
