/**
 * Checks of what a person types, shared by the CLI, the Electron main process, the web host and the
 * forms. Pure (no Node imports), so the renderer runs the same checks as the user types; the checks
 * that need the file system live in electron/engine/inputs/ and return the same `InputProblem`s.
 *
 * Every message says what is wrong and what to do, in lower case, so it reads after the input's
 * name: `--catalog /x.csv: no such file; check the path` (CLI) or under the form field (UI).
 */
import type * as z from 'zod/mini';
import { parseDuration } from './byte-rate';

/** One problem with one input. */
export interface InputProblem {
  /** The input as the job spec names it: 'catalog', 'mirror', 'outDir', 'mirrorTls.caFile', 'selection.ids', ... */
  field: string;
  /** The value as given (a URL's password redacted), when there is one to show. */
  value?: string;
  /** What is wrong and what to do. */
  message: string;
}

/** A URL with its password replaced by `***`, for messages and logs. Other text is returned as is. */
export function redactUrl(text: string): string {
  // The user information runs to the authority's last '@' (WHATWG): a user name may hold '@' (an
  // e-mail login), so may a password; the password is all after the first ':' in it.
  return text.replace(/^([a-z][a-z0-9+.-]*:\/\/)([^/?#\s]*)@/i, (_m, scheme: string, userinfo: string) => {
    const colon = userinfo.indexOf(':');
    return colon < 0 ? `${scheme}${userinfo}@` : `${scheme}${userinfo.slice(0, colon)}:***@`;
  });
}

const MIRROR_SCHEMES = ['ftp:', 'ftps:', 'http:', 'https:'];

/** Why `url` cannot be a mirror root, or null when it can. */
/** Most connections a job may be limited to per server (the worker count's own maximum). */
export const MAX_PER_HOST = 64;

/** Why `text` cannot be a per-server connection limit (`--max-per-host`, the job form's field), or null. */
export function checkMaxPerHost(text: string): string | null {
  const t = text.trim();
  if (!/^\d+$/.test(t)) return `"${text}" is not a number of connections; give a whole number from 1 to ${MAX_PER_HOST}`;
  const n = Number(t);
  if (n < 1 || n > MAX_PER_HOST) return `${t} is out of range; give a whole number from 1 to ${MAX_PER_HOST}`;
  return null;
}

/** The per-book timeouts a job accepts (spec itemTimeoutMs), ms. */
export const MIN_ITEM_TIMEOUT_MS = 100;
export const MAX_ITEM_TIMEOUT_MS = 3_600_000;

/** Why `text` cannot be a per-book timeout (`--item-timeout 5s`, a bare number is seconds; the job form's field), or null. */
export function checkItemTimeout(text: string): string | null {
  const ms = parseDuration(text);
  return ms === null || ms < MIN_ITEM_TIMEOUT_MS || ms > MAX_ITEM_TIMEOUT_MS ? `"${text.trim()}" is not a timeout from 100ms to 3600s` : null;
}

/**
 * Which proxy fits which mirror: an http(s) mirror goes through an http:// proxy, an ftp(s) mirror
 * through a socks5:// one (`env` and `none` fit both). The problem, or null.
 */
export function checkProxyForMirror(proxy: string, mirror: string): string | null {
  if (proxy === 'env' || proxy === 'none') return null;
  const socks = /^socks5h?:\/\//i.test(proxy);
  const ftp = /^ftps?:\/\//i.test(mirror);
  if (ftp && !socks) return 'an ftp:// mirror goes through a SOCKS5 proxy only: give socks5://host:port, an http(s):// mirror for this proxy, or none';
  if (!ftp && socks) return 'an http(s):// mirror goes through an HTTP proxy (http://host:port), not SOCKS5: give one, env or none';
  return null;
}

/** `autoWorkers` needs a strategy that deals items as they come (split cuts the list per worker up front). */
export function checkAutoWorkers(autoWorkers: boolean, strategy: string, items = 'books'): string | null {
  if (!autoWorkers || strategy === 'queue' || strategy === 'adaptive') return null;
  return `automatic worker count needs the queue or adaptive strategy (${strategy} deals the ${items} to a fixed number of workers up front)`;
}

export function checkMirrorUrl(url: string): string | null {
  if (url.trim() === '') return 'is empty; give the mirror root, e.g. https://aleph.gutenberg.org/';
  if (/\s/.test(url)) return 'contains a space; write a space inside a URL as %20, and quote the URL in a shell';
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    return 'is not a URL; give the mirror root, e.g. https://aleph.gutenberg.org/ or ftp://host/path/';
  }
  if (!MIRROR_SCHEMES.includes(u.protocol)) return `is a ${u.protocol.replace(/:$/, '')}:// URL; a mirror is ftp://, ftps://, http:// or https://`;
  if (u.hostname === '') return 'has no host name; give the mirror root, e.g. https://aleph.gutenberg.org/';
  // fetch() refuses URLs with credentials, and HTTP mirrors are public: a user name there is a mistake.
  if ((u.protocol === 'http:' || u.protocol === 'https:') && (u.username !== '' || u.password !== '')) {
    return 'carries a user name or password; HTTP mirrors are public: drop the "user:password@" part';
  }
  return null;
}

/** Why `path` cannot be an absolute file or folder path (UI and IPC inputs must be absolute), or null. */
export function checkAbsolutePath(path: string): string | null {
  if (path.trim() === '') return 'is empty; give a full path';
  if (path.includes('\0')) return 'contains a NUL character; give a plain path';
  if (!/^(\/|[a-zA-Z]:[\\/]|\\\\)/.test(path)) return 'is not an absolute path; give the full path (e.g. /home/me/fanout)';
  return null;
}

/** Why `host` is not a plain host name (people paste `imap://host:993`), or null. */
export function checkHostName(host: string): string | null {
  if (host.trim() === '') return 'is empty; give the server name, e.g. imap.example.com';
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(host)) return 'is a URL; give the host name only (e.g. imap.example.com) and the port separately';
  if (/[\s/@\0]/.test(host)) return 'is not a host name (it has a space, "/" or "@"); give the server name only, e.g. imap.example.com';
  if (/^[^:[\]]+:\d+$/.test(host)) return 'includes a port; give the host name only and the port separately';
  return null;
}

/** A zod issue in words that read after the input's name ("must be at most 64"). */
export function describeIssue(issue: z.core.$ZodIssue, input: unknown): string {
  switch (issue.code) {
    case 'too_big': {
      const max = Number(issue.maximum);
      if (issue.origin === 'string') return `is too long; at most ${max} characters`;
      if (issue.origin === 'array') return `has too many entries; at most ${max}`;
      return `is too large; give a number of at most ${max}`;
    }
    case 'too_small': {
      const min = Number(issue.minimum);
      if (issue.origin === 'string') return min <= 1 ? 'is empty; give a value' : `is too short; at least ${min} characters`;
      if (issue.origin === 'array') return min <= 1 ? 'is empty; give at least one' : `needs at least ${min} entries`;
      return `is too small; give a number of at least ${issue.inclusive === false ? `more than ${min}` : min}`;
    }
    case 'invalid_type':
      if (input === undefined) return 'is missing; give a value';
      if (issue.expected === 'int' || issue.expected === 'number') return 'is not a whole number; give one';
      return `must be a ${issue.expected}`;
    case 'invalid_value':
      return `must be one of ${issue.values.map(String).join(', ')}`;
    case 'invalid_format':
      return issue.format === 'url' ? 'is not a URL' : `is not a valid ${issue.format}`;
    default:
      // A refinement's own message is already written for a person.
      return issue.message.charAt(0).toLowerCase() + issue.message.slice(1);
  }
}

function valueAt(input: unknown, path: readonly PropertyKey[]): unknown {
  let v = input;
  for (const k of path) v = v !== null && typeof v === 'object' ? (v as Record<PropertyKey, unknown>)[k] : undefined;
  return v;
}

function shown(value: unknown): string | undefined {
  if (value === undefined || value === null || typeof value === 'object') return undefined;
  return redactUrl(String(value));
}

/** Validates `input` with `schema`: the parsed value, or one problem per offending field. */
export function parseWithProblems<S extends z.ZodMiniType>(schema: S, input: unknown): { ok: true; value: z.infer<S> } | { ok: false; problems: InputProblem[] } {
  const r = schema.safeParse(input);
  if (r.success) return { ok: true, value: r.data };
  return {
    ok: false,
    problems: r.error.issues.map((issue) => {
      const value = valueAt(input, issue.path);
      return { field: issue.path.map(String).join('.'), value: shown(value), message: describeIssue(issue, value) };
    }),
  };
}

/** One problem as one line, with the input named the way the reader knows it (`--catalog`, "Catalog file"). */
export function formatProblem(label: string, p: InputProblem): string {
  return `${label}${p.value !== undefined && p.value !== '' ? ` ${p.value}` : ''}: ${p.message}`;
}
