/** What `fanout verify` (and the History screen's Verify) found: problems by kind, and how much it looked at. */
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
    /** Messages on the server compared with the archive (mail, when the server was asked). */
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
