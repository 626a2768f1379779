import type { MadeVerifyReason, VerifyProblem, VerifyReport } from '../../../shared/verify-report';

export type { VerifyProblem, VerifyReport } from '../../../shared/verify-report';

/** A problem as this build's verify makes it: its reason set (one it makes, never `unknown`). */
export type MadeProblem = VerifyProblem & { reason: MadeVerifyReason };

/** A report of this build's verify: every problem with its reason. */
export interface MadeReport extends VerifyReport {
  missing: MadeProblem[];
  corrupt: MadeProblem[];
  extra: MadeProblem[];
}

/** Worth knowing, not a problem of the archive (it does not make `ok` false): a folder archived and gone from the server. */
export interface VerifyNote {
  where: string;
  detail: string;
}

/** A report with notes (`fanout verify mail`; `--json` prints them too). */
export type VerifyReportWithNotes = MadeReport & { notes?: VerifyNote[] };

export interface VerifyProgress {
  phase: string;
  done: number;
  total: number | null;
}

export interface VerifyOptions {
  onProgress?(p: VerifyProgress): void;
  signal?: AbortSignal;
}

export function emptyReport(kind: VerifyReport['kind']): MadeReport {
  return { kind, ok: true, checked: { files: 0, serverMessages: 0, sampled: 0 }, missing: [], corrupt: [], extra: [] };
}

export function finishReport<T extends VerifyReport>(r: T): T {
  r.ok = r.missing.length === 0 && r.corrupt.length === 0 && r.extra.length === 0;
  return r;
}

