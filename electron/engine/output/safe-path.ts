import path from 'node:path';
import { FanoutError } from '../core/fanout-error';
import type { ErrorContext } from '../../../shared/errors';

const WINDOWS_DEVICE = /^(con|prn|aux|nul|com[0-9¹²³]|lpt[0-9¹²³]|conin\$|conout\$)(\..*)?$/i;

/**
 * Why `name` is not a safe plain file name, or null when it is. Safe means: one path segment
 * that, joined to any folder on Linux, macOS or Windows, stays inside it. Rejected: empty, `.`/`..`,
 * any `/` or `\`, NUL and other control characters, drive letters and `:` (ADS), Windows device
 * names (`CON`, `nul.txt`, `COM1`...), trailing dots or spaces (Windows strips them), > 255 bytes.
 * Pure: no file system access.
 */
export function unsafeReason(name: string): string | null {
  if (typeof name !== 'string' || name.length === 0) return 'empty name';
  if (name === '.' || name === '..') return 'dot segment';
  if (/[/\\]/.test(name)) return 'path separator';
  // eslint-disable-next-line no-control-regex
  if (/[\x00-\x1f\x7f]/.test(name)) return 'control character';
  if (name.includes(':')) return 'colon (drive letter or stream)';
  if (/[<>"|?*]/.test(name)) return 'character reserved on Windows';
  if (/[. ]$/.test(name)) return 'trailing dot or space';
  if (WINDOWS_DEVICE.test(name)) return 'Windows device name';
  if (Buffer.byteLength(name, 'utf8') > 255) return 'too long';
  return null;
}

export function isSafeName(name: string): boolean {
  return unsafeReason(name) === null;
}

/**
 * `dir/name` as an absolute path, after checking that `name` is a safe single segment and that
 * the result is inside `dir`. Throws FanoutError('UNSAFE_PATH') otherwise. Every write of a name
 * that came from outside (a mirror listing, a zip entry) goes through this.
 */
export function safeJoin(dir: string, name: string, context: ErrorContext = {}): string {
  const reason = unsafeReason(name);
  if (reason) throw new FanoutError('UNSAFE_PATH', `Refusing to write "${printable(name)}": ${reason}`, context);
  const base = path.resolve(dir);
  const full = path.resolve(base, name);
  if (path.dirname(full) !== base) {
    throw new FanoutError('UNSAFE_PATH', `Refusing to write "${printable(name)}" outside ${base}`, context);
  }
  return full;
}

/** Why `rel` (segments separated by `/`) is not a safe relative path, or null: every segment must be a safe name. */
export function unsafeRelPath(rel: string): string | null {
  if (typeof rel !== 'string' || rel.length === 0) return 'empty path';
  if (rel.startsWith('/') || rel.includes('\\')) return 'absolute or backslash path';
  for (const seg of rel.split('/')) {
    const r = unsafeReason(seg);
    if (r) return r;
  }
  return null;
}

/**
 * `root/rel` as an absolute path, after checking every segment of `rel` (see `unsafeRelPath`).
 * Throws FanoutError('UNSAFE_PATH') otherwise: a mail folder's directory, a message file.
 */
export function safeResolve(root: string, rel: string, context: ErrorContext = {}): string {
  const reason = unsafeRelPath(rel);
  const full = path.resolve(root, ...rel.split('/'));
  if (reason || !isInside(root, full)) {
    throw new FanoutError('UNSAFE_PATH', `Refusing to write "${printable(rel)}" outside ${path.resolve(root)}${reason ? `: ${reason}` : ''}`, context);
  }
  return full;
}

/**
 * True when `candidate` is strictly inside `root` (not `root` itself), after resolving both.
 * The one containment check: a static file server's path, a path the UI asks to open.
 */
export function isInside(root: string, candidate: string): boolean {
  const rel = path.relative(path.resolve(root), path.resolve(candidate));
  // `..x` is a name inside; only a first segment that is exactly `..` leaves.
  return rel !== '' && rel !== '..' && !rel.startsWith(`..${path.sep}`) && !path.isAbsolute(rel);
}

function printable(s: string): string {
  // eslint-disable-next-line no-control-regex
  return String(s).replace(/[\x00-\x1f\x7f]/g, (c) => `\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}`).slice(0, 200);
}
