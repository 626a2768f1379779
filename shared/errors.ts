/**
 * Stable, serialisable error codes. A code never changes meaning; the UI, the manifest and the
 * CLI all key on it. `retryable` codes are transient (the engine backs off and tries again);
 * the others fail the item only.
 */
export const ERROR_CODES = {
  ABORTED: { retryable: false, summary: 'The job was cancelled' },
  TIMEOUT: { retryable: true, summary: 'The server did not answer in time' },
  CONNECTION_RESET: { retryable: true, summary: 'The connection was dropped' },
  CONNECTION_REFUSED: { retryable: true, summary: 'The server refused the connection' },
  DNS_FAILED: { retryable: false, summary: 'The host name could not be resolved' },
  TLS_FAILED: { retryable: false, summary: 'The TLS handshake failed (certificate not trusted?)' },
  AUTH_FAILED: { retryable: false, summary: 'The server rejected the credentials' },
  TOO_MANY_CONNECTIONS: { retryable: true, summary: 'The server refused more connections from this address' },
  THROTTLED: { retryable: true, summary: 'The server asked us to slow down' },
  OVER_QUOTA: { retryable: true, summary: 'The server reported a quota limit' },
  SERVER_BYE: { retryable: true, summary: 'The server closed the session' },
  FTP_TRANSIENT: { retryable: true, summary: 'The FTP server reported a temporary failure (4xx)' },
  FTP_NOT_FOUND: { retryable: false, summary: 'The FTP server has no such file (550)' },
  FTP_PERMANENT: { retryable: false, summary: 'The FTP server refused the command (5xx)' },
  HTTP_TRANSIENT: { retryable: true, summary: 'The HTTP server reported a temporary failure (429/5xx)' },
  HTTP_NOT_FOUND: { retryable: false, summary: 'The HTTP server has no such file (404)' },
  HTTP_PERMANENT: { retryable: false, summary: 'The HTTP server refused the request (4xx)' },
  BOOK_NOT_FOUND: { retryable: false, summary: 'No text file of this ebook exists on the mirror' },
  UNSAFE_PATH: { retryable: false, summary: 'A remote name would have been written outside the output folder' },
  BAD_ARCHIVE: { retryable: false, summary: 'The zip archive is damaged or holds no text file' },
  SIZE_MISMATCH: { retryable: true, summary: 'Fewer bytes arrived than the server announced' },
  CHECKSUM_MISMATCH: { retryable: true, summary: 'The file on disk does not match its recorded checksum' },
  SCRUB_FAILED: { retryable: false, summary: 'Cleaning the text failed' },
  WRITE_FAILED: { retryable: false, summary: 'Writing to the output folder failed' },
  OUT_OF_RESOURCES: { retryable: true, summary: 'This computer ran short of open files (ulimit -n) or memory: the job stops if it persists (what is done is kept); use fewer workers or raise the limit' },
  DISK_FULL: { retryable: false, summary: 'The disk holding the output folder is full: the job stopped; free space and run it again' },
  OUTPUT_NOT_WRITABLE: { retryable: false, summary: 'The output folder cannot be written (read-only, or no permission)' },
  OUTPUT_LOCKED: { retryable: false, summary: 'Another Fanout job is writing to this output folder' },
  UIDVALIDITY_CHANGED: { retryable: false, summary: 'The folder was recreated on the server' },
  FOLDER_NOT_FOUND: { retryable: false, summary: 'The folder does not exist on the server' },
  FOLDER_INCOMPLETE: { retryable: false, summary: 'The archive of a folder does not account for every message the server holds' },
  BAD_INPUT: { retryable: false, summary: 'The input is not valid' },
  DATA_DAMAGED: { retryable: false, summary: "A file of Fanout's own data folder (history, settings, saved passwords) cannot be read; it is kept as it is" },
  BUSY: { retryable: false, summary: 'The same operation is already running; wait for it or cancel it' },
  NOT_AVAILABLE: { retryable: false, summary: 'This is not available in this host or build' },
  NO_SUCH_JOB: { retryable: false, summary: 'No running job has this id (it may have finished)' },
  NO_SUCH_RUN: { retryable: false, summary: 'No past run in the history has this id' },
  CATALOG_NOT_LOADED: { retryable: false, summary: 'This catalog is no longer loaded; load it again' },
  UNTRUSTED_SENDER: { retryable: false, summary: 'The request did not come from a Fanout page' },
  INTERNAL: { retryable: false, summary: 'An unexpected internal error' },
} as const satisfies Record<string, { retryable: boolean; summary: string }>;

export type FanoutErrorCode = keyof typeof ERROR_CODES;

/** Where an error happened: whatever of these is known. */
export interface ErrorContext {
  host?: string;
  path?: string;
  ebook?: number;
  folder?: string;
  uid?: number;
  line?: number;
  file?: string;
}

/**
 * What the server answered, as data, beside an error's words (engine/core/fanout-error.ts
 * `FanoutError.detail`): what a program decides on. Set where the error is made; not sent across
 * IPC (no reader there decides on it). Read-only: one object is shared by an error and the copies
 * made of it (`withContext`, `forItem`, a rewording of the same code).
 */
export interface ErrorDetail {
  /** The HTTP status of the response that failed (HTTP_* codes; a 404/410 too). */
  readonly httpStatus?: number;
  /** The FTP reply code of the reply that failed (FTP_*, TOO_MANY_CONNECTIONS, AUTH_FAILED made of a reply). */
  readonly ftpReply?: number;
  /** A transfer's bytes against the size given (SIZE_MISMATCH): fewer (`short`: cut) or more (`long`: the file changed meanwhile). */
  readonly size?: { readonly verdict: 'short' | 'long'; readonly expected: number; readonly received: number };
  /** An OUT_OF_RESOURCES that stops the job (output/storage-fault.ts), not an item's retryable one: met again, it is not stopped again. */
  readonly jobStop?: true;
}

/** The plain-object form of an error that crosses a process boundary (IPC, WebSocket, JSON). */
export interface SerializedError {
  code: FanoutErrorCode;
  message: string;
  retryable: boolean;
  context: ErrorContext;
}
