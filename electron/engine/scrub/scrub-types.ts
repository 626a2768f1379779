/**
 * Why a cleaned book may need a human look. Codes, not prose: the UI and the manifest key on them.
 * - `no-start-marker`: no header end was found, the text is kept from its first line.
 * - `no-end-marker`: no footer start was found, the text is kept to its last line.
 * - `kept-whole`: stripping would have left nothing, so the whole text was kept.
 * - `invalid-utf8-after-bom`: a UTF-8 BOM was followed by invalid bytes (replaced by U+FFFD).
 */
export type ScrubWarning = 'no-start-marker' | 'no-end-marker' | 'kept-whole' | 'invalid-utf8-after-bom';

/** The character set a book's bytes were read as. */
export type SourceEncoding = 'utf-8' | 'windows-1252' | 'utf-16le' | 'utf-16be';

/** What `stripGutenbergBoilerplate` returns. */
export interface StripResult {
  /** The book text without licence header/footer: LF line endings, ends with exactly one `\n`. */
  text: string;
  /** True when a header end (`*** START OF ...`, `*END*THE SMALL PRINT!`...) was found and cut. */
  startMarker: boolean;
  /** True when a footer start (`*** END OF ...`, `End of Project Gutenberg's ...`...) was found and cut. */
  endMarker: boolean;
  warnings: ScrubWarning[];
}

/** What `decodeGutenbergBytes` returns. */
export interface DecodeResult {
  /** The text, LF line endings, no BOM. */
  text: string;
  encoding: SourceEncoding;
  /** True when the bytes started with a byte-order mark (UTF-8's, or UTF-16's). */
  bom: boolean;
  warnings: ScrubWarning[];
}

/** One cleaned book: what `scrubBook` and every pool return. Structured-clone safe. */
export interface ScrubResult {
  /**
   * The cleaned text, UTF-8 bytes. May be a view into a larger buffer (the input's, when the
   * scrubber was allowed to consume it): transfer `clean.buffer`, but read only `clean`.
   */
  clean: Uint8Array;
  /** sha256 of `clean`, lowercase hex: computed where the cleaning ran, off the caller's thread. */
  cleanSha256: string;
  encoding: SourceEncoding;
  bom: boolean;
  startMarker: boolean;
  endMarker: boolean;
  /** Size of the input, bytes. */
  rawBytes: number;
  /** Size of `clean`, bytes. */
  cleanBytes: number;
  warnings: ScrubWarning[];
  /**
   * Set when the scrubber wrote the clean text to its file itself (a `ScrubFileTask`): the file's
   * mtime as written (what a re-run's quick check compares). `clean` is then empty.
   */
  cleanMtimeMs?: number;
  /** Set when the scrubber also wrote the raw text (a file task with `raw`): its sha256 and mtime as written. */
  raw?: { sha256: string; mtimeMs: number };
  /** A lent raw buffer (`ScrubFileTask.raw.lent`, threads) moved back for the next book (its bytes are spent). */
  rawBuffer?: ArrayBuffer;
}
