import { ERROR_CODES, type ErrorContext, type FanoutErrorCode, type SerializedError } from '../../../shared/errors';

/**
 * The one error type the engine throws. `code` is stable and serialisable; `context` says which
 * host, path, ebook, folder or UID failed, so a user sees what failed and why.
 */
export class FanoutError extends Error {
  override readonly name = 'FanoutError';
  readonly code: FanoutErrorCode;
  readonly context: ErrorContext;
  /** How long the server asked us to wait before trying again (HTTP `Retry-After`), ms. */
  readonly retryAfterMs: number | undefined;

  constructor(code: FanoutErrorCode, message: string, context: ErrorContext = {}, options?: { cause?: unknown; retryAfterMs?: number }) {
    super(message, options);
    this.code = code;
    this.context = context;
    this.retryAfterMs = options?.retryAfterMs;
  }

  get retryable(): boolean {
    return ERROR_CODES[this.code].retryable;
  }

  /** Adds context known higher up (the ebook number, the folder) without losing what is already there. */
  withContext(extra: ErrorContext): FanoutError {
    const e = new FanoutError(this.code, this.message, { ...extra, ...this.context }, { cause: this.cause, retryAfterMs: this.retryAfterMs });
    e.stack = this.stack;
    return e;
  }

  /**
   * The same error for one item of a batch that failed as a whole: the item's own context (its
   * ebook, path) replaces the batch's, the rest (host) is kept.
   */
  forItem(item: ErrorContext): FanoutError {
    const e = new FanoutError(this.code, this.message, { ...this.context, ...item }, { cause: this.cause, retryAfterMs: this.retryAfterMs });
    e.stack = this.stack;
    return e;
  }

  toJSON(): SerializedError {
    return { code: this.code, message: this.message, retryable: this.retryable, context: this.context };
  }
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
  if (err instanceof FanoutError) return err.withContext(context);
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
