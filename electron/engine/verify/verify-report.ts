/** What `fanout verify` found: problems by kind, and how much it looked at. */
export interface VerifyProblem {
  /** Where: a mail folder path, or the corpus's output folder. */
  where: string;
  /** The file, relative to `where`'s directory, when there is one. */
  file?: string;
  uid?: number;
  ebook?: number;
  detail: string;
}

export interface VerifyReport {
  kind: 'mail' | 'corpus';
  /** True when nothing is missing, corrupt or extra. */
  ok: boolean;
  checked: {
    /** Files re-hashed against the index or manifest. */
    files: number;
    /** Messages on the server compared with the archive (mail). */
    serverMessages: number;
    /** Messages re-fetched and compared byte for byte (mail `--sample`). */
    sampled: number;
  };
  /** On the server (or in the index/manifest) but not on disk. */
  missing: VerifyProblem[];
  /** On disk, but not the bytes recorded (or the server's size / bytes). */
  corrupt: VerifyProblem[];
  /** On disk, but recorded nowhere (left by an interrupted run, or not ours). */
  extra: VerifyProblem[];
}

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

