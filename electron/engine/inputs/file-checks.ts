import { constants } from 'node:fs';
import { access, open, stat, statfs } from 'node:fs/promises';
import { basename, dirname, join, resolve } from 'node:path';

/**
 * File and folder checks for inputs, each returning what is wrong and what to do (or null). None of
 * them writes anything: a check of a run that is then refused must leave no trace.
 */

/** Node's error code, or undefined. */
export function codeOf(err: unknown): string | undefined {
  const code = (err as { code?: unknown })?.code;
  return typeof code === 'string' ? code : undefined;
}

/** Argument strings are decoded as UTF-8; bytes that are not become U+FFFD, and no such file then exists. */
const NOT_UTF8 = 'its name is not valid UTF-8 (shown with �), so it cannot be opened; rename the file';

function statProblem(err: unknown, path: string, what: 'file' | 'folder'): string {
  const code = codeOf(err);
  if (code === 'ENOENT') return path.includes('\uFFFD') ? NOT_UTF8 : `no such ${what}; check the path`;
  if (code === 'ENOTDIR') return `no such ${what}: a part of the path is a file, not a folder; check the path`;
  if (code === 'EACCES' || code === 'EPERM') return `cannot be read (permission denied); check its permissions`;
  if (code === 'ENAMETOOLONG') return 'the path is too long; check it';
  if (code === 'ELOOP') return 'the path has a symbolic link loop; check it';
  return `cannot be used (${code ?? (err as Error).message}); check the path`;
}

export interface InputFileOptions {
  /** A pipe or device is acceptable (it is then read once, by the job). Default false: a regular file is required. */
  allowStream?: boolean;
  /** An empty file is acceptable (a log that may have no line yet). */
  allowEmpty?: boolean;
}

/** Checks a file the job reads: it exists, is a file (not a folder), can be read and (unless allowed) is not empty. */
export async function checkInputFile(path: string, opts: InputFileOptions = {}): Promise<string | null> {
  if (path.trim() === '') return 'is empty; give a file path';
  let st;
  try {
    st = await stat(path);
  } catch (err) {
    return statProblem(err, path, 'file');
  }
  if (st.isDirectory()) return 'is a folder, not a file; give the path of a file';
  if (!st.isFile() && !opts.allowStream) return 'is not a regular file (a device or pipe); save it to a file and give that';
  try {
    // open() rather than access(): it is the check that matches what the job will do (and root's access() says yes to everything).
    const fh = await open(path, 'r');
    await fh.close();
  } catch (err) {
    return statProblem(err, path, 'file');
  }
  if (st.isFile() && st.size === 0 && !opts.allowEmpty) return 'is empty; give a file with something in it';
  return null;
}

/** Largest CA file read; real bundles are ~200 KB. */
const MAX_CA_BYTES = 4 * 1024 * 1024;

/** Checks a PEM file of CA certificates: readable, not empty, has a certificate in it. */
export async function checkCaFile(path: string): Promise<string | null> {
  const problem = await checkInputFile(path);
  if (problem) return problem;
  const fh = await open(path, 'r');
  try {
    const buf = Buffer.alloc(Math.min((await fh.stat()).size, MAX_CA_BYTES));
    await fh.read(buf, 0, buf.length, 0);
    if (!buf.toString('latin1').includes('-----BEGIN CERTIFICATE-----')) {
      return 'has no PEM certificate (-----BEGIN CERTIFICATE-----); give the CA certificate in PEM form';
    }
  } finally {
    await fh.close();
  }
  return null;
}

/** Checks a folder the job reads (an archive or corpus to verify): it exists, is a folder, can be listed. */
export async function checkExistingFolder(path: string): Promise<string | null> {
  if (path.trim() === '') return 'is empty; give a folder';
  try {
    const st = await stat(path);
    if (!st.isDirectory()) return 'is a file, not a folder; give a folder';
    await access(path, constants.R_OK | constants.X_OK);
  } catch (err) {
    return statProblem(err, path, 'folder');
  }
  return null;
}

/**
 * Checks an output folder without creating it: an existing folder must be writable; a missing one
 * must have a nearest existing parent that is a writable folder (the job creates the rest).
 */
export async function checkOutputFolder(path: string): Promise<string | null> {
  if (path.trim() === '') return 'is empty; give a folder';
  if (path.includes('\0')) return 'contains a NUL character; give a plain path';
  // A job's files (raw/, clean/, manifest.jsonl, an account's folders) straight into / (or a drive's root).
  if (dirname(resolve(path)) === resolve(path)) return 'is the root folder of the file system; give a folder of its own, e.g. /srv/corpus';
  const corpus = await corpusAround(path);
  if (corpus) return `is inside the ${corpus.sub}/ folder of the corpus ${corpus.dir}, whose files its manifest records (fanout verify would report the new files as extra); choose a folder outside it`;
  let dir = resolve(path);
  let existing = true;
  for (;;) {
    try {
      const st = await stat(dir);
      if (!st.isDirectory()) {
        return existing ? 'is a file, not a folder; give a folder' : `cannot be created: ${dir} is a file, not a folder; give another folder`;
      }
      break;
    } catch (err) {
      const code = codeOf(err);
      if (code === 'ENOTDIR') {
        existing = false;
        dir = dirname(dir);
        continue;
      }
      if (code !== 'ENOENT') return statProblem(err, path, 'folder');
      if (path.includes('\uFFFD')) return NOT_UTF8.replace('the file', 'the folder');
      const parent = dirname(dir);
      if (parent === dir) return 'cannot be created; give another folder';
      existing = false;
      dir = parent;
    }
  }
  const kernel = await kernelFileSystem(dir);
  if (kernel) {
    const why = `is on the kernel's ${kernel} file system, which holds no files`;
    return existing ? `${why}; choose another folder` : `cannot be created: ${dir} ${why}; choose another folder`;
  }
  try {
    await access(dir, constants.W_OK | constants.X_OK);
  } catch (err) {
    const why = codeOf(err) === 'EROFS' ? 'is on a read-only file system' : 'is not writable (permission denied)';
    return existing ? `${why}; choose another folder` : `cannot be created: ${dir} ${why}; choose another folder`;
  }
  return null;
}

/**
 * The corpus (a folder holding manifest.jsonl) whose raw/ or clean/ folder holds `path`, if any:
 * `fanout verify corpus` reads every file there as the manifest's, so another job's files inside
 * would make the corpus fail its check. A stat only at a level named raw or clean.
 */
async function corpusAround(path: string): Promise<{ dir: string; sub: string } | null> {
  let child = resolve(path);
  for (let dir = dirname(child); dir !== child; child = dir, dir = dirname(dir)) {
    const sub = basename(child);
    if (sub !== 'raw' && sub !== 'clean') continue;
    if (await stat(join(dir, 'manifest.jsonl')).then((s) => s.isFile(), () => false)) return { dir, sub };
  }
  return null;
}

/**
 * Linux file systems of the kernel's own (statfs f_type → name): they look writable to root (access
 * says yes) but hold no files a job could write (mkdir there says ENOENT or EPERM).
 */
const KERNEL_FILE_SYSTEMS = new Map<number, string>([
  [0x9fa0, 'proc'],
  [0x62656572, 'sysfs'],
  [0x27e0eb, 'cgroup'],
  [0x63677270, 'cgroup2'],
  [0x64626720, 'debugfs'],
  [0x74726163, 'tracefs'],
  [0x73636673, 'securityfs'],
  [0x1cd1, 'devpts'],
  [0x6165676c, 'pstore'],
  [0xcafe4a11, 'bpf'],
  [0x62656570, 'configfs'],
  [0xde5e81e0, 'efivarfs'],
  [0x65735543, 'fusectl'],
  [0x42494e4d, 'binfmt_misc'],
]);

/** The name of `dir`'s file system when it is one of the kernel's (KERNEL_FILE_SYSTEMS), else null. */
async function kernelFileSystem(dir: string): Promise<string | null> {
  if (process.platform !== 'linux') return null;
  const fs = await statfs(dir).catch(() => null);
  return fs ? (KERNEL_FILE_SYSTEMS.get(fs.type) ?? null) : null;
}
