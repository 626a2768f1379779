import type { VerifyReport } from '../../../shared/verify-report';

export type { VerifyProblem, VerifyReport } from '../../../shared/verify-report';

export interface VerifyProgress {
  phase: string;
  done: number;
  total: number | null;
}

export interface VerifyOptions {
  onProgress?(p: VerifyProgress): void;
  signal?: AbortSignal;
}

export function emptyReport(kind: VerifyReport['kind']): VerifyReport {
  return { kind, ok: true, checked: { files: 0, serverMessages: 0, sampled: 0 }, missing: [], corrupt: [], extra: [] };
}

export function finishReport(r: VerifyReport): VerifyReport {
  r.ok = r.missing.length === 0 && r.corrupt.length === 0 && r.extra.length === 0;
  return r;
}

