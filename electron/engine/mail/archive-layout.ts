import type { ErrorContext } from '../../../shared/errors';
import { FanoutError } from '../core/fanout-error';

/**
 * A file of the archive (index.jsonl, state.json, folders.json, a message file) found to be a
 * directory, or a folder's directory found to be a file: a typed error naming the path and what to
 * do (fanout never deletes what it did not write), instead of Node's bare "EISDIR: illegal operation
 * on a directory, read" without a path, or an INTERNAL "EEXIST ... mkdir". Any other error is
 * returned as it is (a full disk, no permission: storage-fault.ts maps those).
 */
export function layoutError(err: unknown, path: string, what: string, context: ErrorContext = {}): unknown {
  if (err instanceof FanoutError) return err;
  const code = (err as NodeJS.ErrnoException | null)?.code;
  if (code === 'EISDIR') {
    return new FanoutError('WRITE_FAILED', `${what} ${path} is a directory, not a file: move it out of the way (fanout does not delete it), then run again`, { ...context, file: path }, { cause: err });
  }
  if (code === 'ENOTDIR' || code === 'EEXIST') {
    return new FanoutError('WRITE_FAILED', `${what} ${path}: a file is where a directory should be: move it out of the way (fanout does not delete it), then run again`, { ...context, file: path }, { cause: err });
  }
  return err;
}
