import { openFilesLimit } from './open-files-check';
import { ERROR_CODES, type ErrorContext, type ErrorDetail, type FanoutErrorCode, type SerializedError } from '../../../shared/errors';

/**
 * The one error type the engine throws. `code` is stable and serialisable; `context` says which
 * host, path, ebook, folder or UID failed, so a user sees what failed and why; `detail` is what
 * the server answered, as data (an HTTP status, a size verdict): a reader decides on it, never on
 * `message`, whose words are for people and may change any session.
 */
export class FanoutError extends Error {
  override readonly name = 'FanoutError';
  readonly code: FanoutErrorCode;
  readonly context: ErrorContext;
  /** How long the server asked us to wait before trying again (HTTP `Retry-After`), ms. */
  readonly retryAfterMs: number | undefined;
  /**
   * What the server answered, as data; set where the error is made. When not given, an error made
   * from another of the same code (its `cause`: the same failure said again, in other words or
   * with more context) keeps that one's.
   */
  readonly detail: ErrorDetail;

  constructor(code: FanoutErrorCode, message: string, context: ErrorContext = {}, options?: { cause?: unknown; retryAfterMs?: number; detail?: ErrorDetail }) {
    super(message, options);
    this.code = code;
    this.context = context;
    this.retryAfterMs = options?.retryAfterMs;
    const cause = options?.cause;
    this.detail = options?.detail ?? (cause instanceof FanoutError && cause.code === code ? cause.detail : {});
  }

  get retryable(): boolean {
    return ERROR_CODES[this.code].retryable;
  }

  /** Adds context known higher up (the ebook number, the folder) without losing what is already there. */
  withContext(extra: ErrorContext): FanoutError {
    return this.#with({ ...extra, ...this.context });
  }

  /**
   * The same error for one item of a batch that failed as a whole: the item's own context (its
   * ebook, path) replaces the batch's, the rest (host) is kept.
   */
  forItem(item: ErrorContext): FanoutError {
    return this.#with({ ...this.context, ...item });
  }

  /** This error (its code, message, cause, stack, wait and detail) with `context`. */
  #with(context: ErrorContext): FanoutError {
    const e = new FanoutError(this.code, this.message, context, { cause: this.cause, retryAfterMs: this.retryAfterMs, detail: this.detail });
    e.stack = this.stack;
    return e;
  }

  toJSON(): SerializedError {
    return { code: this.code, message: this.message, retryable: this.retryable, context: this.context };
  }
}

/**
 * A transfer that brought `received` bytes where the size given (FTP listing or SIZE, HTTP
 * Content-Length) was `expected`: SIZE_MISMATCH (retryable), its verdict in `detail.size`. Fewer:
 * `short` (cut), `Received X of Y bytes` and `note`; more: `long` (the file changed since its size
 * was given). `cause`: the failure that ended the transfer, if any (a connection closed).
 */
export function sizeMismatch(received: number, expected: number, context: ErrorContext, note = '', cause?: unknown): FanoutError {
  const long = received > expected;
  const options = { detail: { size: { verdict: long ? 'long' : 'short', expected, received } } satisfies ErrorDetail, ...(cause !== undefined ? { cause } : {}) };
  if (long) return new FanoutError('SIZE_MISMATCH', `Received ${received} bytes, more than the ${expected} the server gave as its size: the file changed meanwhile`, context, options);
  return new FanoutError('SIZE_MISMATCH', `Received ${received} of ${expected} bytes${note}`, context, options);
}

export function isAbortError(err: unknown): boolean {
  return (
    (err instanceof FanoutError && err.code === 'ABORTED') ||
    (err instanceof Error && (err.name === 'AbortError' || (err as { code?: string }).code === 'ABORT_ERR'))
  );
}

/** The AbortError a cancelled operation rejects with. */
export function abortedError(context: ErrorContext = {}): FanoutError {
  return new FanoutError('ABORTED', 'Cancelled', context);
}

/**
 * Maps a Node socket error (ECONNRESET, ETIMEDOUT, ...) to a FanoutError; anything else becomes
 * INTERNAL. Protocol layers map their own replies (FTP codes, HTTP status) before falling back here.
 */
export function toFanoutError(err: unknown, context: ErrorContext = {}): FanoutError {
  if (err instanceof FanoutError) return (err.retryable ? err : (outOfResources(err) ?? err)).withContext(context);
  if (isAbortError(err)) return abortedError(context);
  const e = err as { code?: unknown; message?: unknown };
  const message = typeof e?.message === 'string' ? e.message : String(err);
  switch (e?.code) {
    case 'ECONNRESET':
    case 'EPIPE':
    case 'ECONNABORTED':
    case 'ERR_STREAM_PREMATURE_CLOSE':
      return new FanoutError('CONNECTION_RESET', message, context, { cause: err });
    case 'ECONNREFUSED':
      return new FanoutError('CONNECTION_REFUSED', message, context, { cause: err });
    case 'ETIMEDOUT':
    case 'ETIMEOUT':
    case 'UND_ERR_HEADERS_TIMEOUT':
    case 'UND_ERR_BODY_TIMEOUT':
      return new FanoutError('TIMEOUT', message, context, { cause: err });
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
      return new FanoutError('DNS_FAILED', message, context, { cause: err });
    case 'EMFILE':
    case 'ENFILE':
    case 'ENOMEM':
    case 'EAGAIN':
      return outOfResources(err, context)!;
    case 'EACCES':
    case 'ENOSPC':
    case 'EROFS':
    case 'EISDIR':
      return new FanoutError('WRITE_FAILED', message, context, { cause: err });
    default:
      if (/timed? ?out/i.test(message)) return new FanoutError('TIMEOUT', message, context, { cause: err });
      if (/socket hang up|closed|reset/i.test(message)) return new FanoutError('CONNECTION_RESET', message, context, { cause: err });
      return new FanoutError('INTERNAL', message, context, { cause: err });
  }
}

/**
 * This process or computer ran short of open files (EMFILE: `ulimit -n`; ENFILE: the system's
 * table), memory (ENOMEM) or a resource for a moment (EAGAIN), anywhere in `err`'s cause chain (a
 * WRITE_FAILED wrapping a temp file's open included): OUT_OF_RESOURCES, retryable (another worker's
 * files may close meanwhile), its message naming the limit and the fix. Null when it is none of
 * these. The item's own failure was non-retryable (INTERNAL, WRITE_FAILED): a book failed for good
 * on a limit of this computer. What happens on it: the pool does not shrink (not one of its
 * SHRINK_CODES: a retired worker would be remembered as the server's limit); a scrub is tried again
 * a few times (gutenberg/scrub-stage.ts); a storage path (output/storage-fault.ts) stops the job,
 * what is done kept, untried items pending.
 */
export function outOfResources(err: unknown, context: ErrorContext = {}): FanoutError | null {
  if (err instanceof FanoutError && err.code === 'OUT_OF_RESOURCES') return err.withContext(context); // said already
  let code: string | undefined;
  for (let e = err, depth = 0; e && depth < 6 && !code; e = (e as { cause?: unknown }).cause, depth++) {
    const c = (e as { code?: unknown }).code;
    if (c === 'EMFILE' || c === 'ENFILE' || c === 'ENOMEM' || c === 'EAGAIN') code = c;
  }
  if (!code) return null;
  const message = err instanceof Error ? err.message : String(err);
  const ctx = { ...(err instanceof FanoutError ? err.context : {}), ...context };
  const limit = code === 'EMFILE' ? OPEN_FILES_LIMIT : null;
  const why =
    code === 'EMFILE'
      ? `this process has as many files and connections open as it may${limit ? ` (${limit}, ulimit -n)` : ' (ulimit -n)'}: use fewer workers or connections, or raise the limit (ulimit -n 4096 in the shell that starts fanout)`
      : code === 'ENFILE'
        ? 'the system has as many files open as it may (fs.file-max): use fewer workers or connections, or close other programs'
        : code === 'ENOMEM'
          ? 'the system is out of memory: use fewer workers or connections, or close other programs'
          : 'a resource of the system was unavailable for a moment';
  return new FanoutError('OUT_OF_RESOURCES', `${message} (${code}): ${why}`, ctx, { cause: err });
}

/** The open-files limit of this process (core/open-files-check.ts: Linux, /proc/self/limits, its soft value), or null; read once, at load (at EMFILE no file can be opened to read it). */
const OPEN_FILES_LIMIT = openFilesLimit();
