/**
 * Every command, every kind of bad input: each gets its one line (`error: <input>: <what is wrong;
 * what to do>`), its exit code (2 for usage errors), no stack trace, nothing on stdout, and nothing
 * written anywhere under the test folder (which holds every output folder the cases name).
 */
import { spawn } from 'node:child_process';
import { chmod, copyFile, lstat, mkdir, mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runProcess } from '../../harness/fanout-cli';
import { bundleCli } from './cli-bundle';

const repo = resolve(__dirname, '../../..');
/** The CLI bundled from the sources (set in beforeAll). */
let bin = '';
const isRoot = process.getuid?.() === 0;
const NOBODY = 65534;

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

/** At most two CLI processes at once: the cases are concurrent, the machine (2 shared cores, other test files beside) is not. */
let running = 0;
const waiting: Array<() => void> = [];
async function limited<T>(run: () => Promise<T>): Promise<T> {
  if (running >= 2) await new Promise<void>((r) => waiting.push(r));
  running++;
  try {
    return await run();
  } finally {
    running--;
    waiting.shift()?.();
  }
}

/** Runs `fanout …`. `shell` is a sh command line instead (for argument bytes that are not UTF-8). */
function fanout(args: string[], opts: { env?: Record<string, string>; asNobody?: boolean; shell?: string } = {}): Promise<Run> {
  const [cmd, argv] = opts.shell !== undefined ? ['/bin/sh', ['-c', opts.shell]] : [process.execPath, [bin, ...args]];
  // Root reads any file whatever its mode: "unreadable" needs an unprivileged user.
  const ids = opts.asNobody && isRoot ? { uid: NOBODY, gid: NOBODY } : {};
  return runProcess(cmd, argv, { cwd: repo, env: { ...process.env, FANOUT_DEBUG: '', ...opts.env }, timeoutMs: 60_000, ...ids });
}

interface Fx {
  dir: string;
  catalog: string;
  /** A fresh path per case: it must still not exist afterwards. */
  out: string;
  busyPort: number;
}

interface Case {
  name: string;
  args: (f: Fx) => string[];
  /** Each expected stderr line, in order, matched whole. */
  lines: (f: Fx) => RegExp[];
  code?: number;
  env?: Record<string, string>;
  asNobody?: boolean;
  shell?: (f: Fx) => string;
}

const esc = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
const line = (text: string) => new RegExp(`^${esc(text)}$`);
const starts = (text: string) => new RegExp(`^${esc(text)}`);

/** A gutenberg command line whose inputs are all good but for the ones given. */
function gutenberg(f: Fx, over: Record<string, string | null> = {}): string[] {
  const base: Record<string, string | null> = { '--catalog': f.catalog, '--mirror': 'http://127.0.0.1:9/', '--out': f.out, ...over };
  return ['gutenberg', ...Object.entries(base).flatMap(([k, v]) => (v === null ? [] : [k, v]))];
}

function mail(f: Fx, over: Record<string, string | null> = {}): string[] {
  const base: Record<string, string | null> = { '--host': '127.0.0.1', '--port': '9', '--tls': 'implicit', '--user': 'u', '--password-env': 'FANOUT_TEST_PW', '--out': f.out, ...over };
  return ['mail', ...Object.entries(base).flatMap(([k, v]) => (v === null ? [] : [k, v]))];
}

const MAIL_ENV = { FANOUT_TEST_PW: 'secret-pw' };
const NOT_A_CATALOG = 'not a catalog: its first line has 1 field, neither the pg_catalog.csv header (Text#,Type,Issued,Title,…) nor author,FileNumber,Title; give pg_catalog.csv or a CSV of that form';

const CASES: Record<string, Case[]> = {
  gutenberg: [
    { name: 'missing catalog', args: (f) => gutenberg(f, { '--catalog': `${f.dir}/nonexistent.csv` }), lines: (f) => [line(`error: --catalog ${f.dir}/nonexistent.csv: no such file; check the path`)] },
    { name: 'catalog is a folder', args: (f) => gutenberg(f, { '--catalog': `${f.dir}/folder` }), lines: (f) => [line(`error: --catalog ${f.dir}/folder: is a folder, not a file; give the path of a file`)] },
    { name: 'empty catalog', args: (f) => gutenberg(f, { '--catalog': `${f.dir}/empty.csv` }), lines: (f) => [line(`error: --catalog ${f.dir}/empty.csv: is empty; give a file with something in it`)] },
    { name: 'not a catalog (/etc/passwd)', args: (f) => gutenberg(f, { '--catalog': `${f.dir}/passwd` }), lines: (f) => [line(`error: --catalog ${f.dir}/passwd: ${NOT_A_CATALOG}`)] },
    { name: 'a header and no books', args: (f) => gutenberg(f, { '--catalog': `${f.dir}/header-only.csv` }), lines: (f) => [line(`error: --catalog ${f.dir}/header-only.csv: not a catalog: it has a header but no book rows; give a catalog that lists books`)] },
    { name: 'a device, not a file', args: (f) => gutenberg(f, { '--catalog': '/dev/null' }), lines: () => [line('error: --catalog /dev/null: is not a regular file (a device or pipe); save it to a file and give that')] },
    { name: 'unreadable catalog', asNobody: true, args: (f) => gutenberg(f, { '--catalog': `${f.dir}/unreadable.csv`, '--out': `${f.dir}/open/out-unreadable` }), lines: (f) => [line(`error: --catalog ${f.dir}/unreadable.csv: cannot be read (permission denied); check its permissions`)] },
    {
      name: 'catalog name not UTF-8',
      args: () => [],
      shell: (f) => `exec "${process.execPath}" "${bin}" gutenberg --catalog "$(printf '${f.dir}/bad\\377.csv')" --mirror http://127.0.0.1:9/ --out "${f.out}"`,
      lines: (f) => [line(`error: --catalog ${f.dir}/bad\uFFFD.csv: its name is not valid UTF-8 (shown with �), so it cannot be opened; rename the file`)],
    },
    { name: 'missing --catalog', args: (f) => gutenberg(f, { '--catalog': null }), lines: () => [line("error: required option '--catalog <file>' not specified")] },
    { name: 'ids not in the catalog', args: (f) => gutenberg(f, { '--ids': '99999999' }), lines: () => [line('error: --ids 99999999: none of these ebook numbers is in the catalog (it lists 3 books, numbered 5 to 1342); check the numbers')] },
    {
      name: 'some ids not in the catalog',
      args: (f) => gutenberg(f, { '--ids': '5,7,11,99999999' }),
      lines: () => [line('error: --ids 5,7,11,99999999: 3 ebook numbers not in the catalog (7, 11, 99999999), 1 of them past its last, 1342 (a catalog cut short or older than these books? download it again); check the numbers, or add --allow-missing to download the 1 book that is')],
    },
    { name: 'a filter that matches nothing', args: (f) => gutenberg(f, { '--author': 'Nobody' }), lines: () => [line("error: --author Nobody: matches none of the catalog's 3 books; check the spelling or drop this filter")] },
    {
      name: 'the second filter empties it',
      args: (f) => gutenberg(f, { '--ids': '5-1342', '--title': 'zzz' }),
      lines: () => [line('error: --title zzz: matches none of the 3 books picked by the filters before it; check the spelling or drop this filter')],
    },
    {
      name: 'bad rows: one warning, then the real problem',
      args: (f) => gutenberg(f, { '--catalog': `${f.dir}/bad-rows.csv`, '--ids': '99' }),
      lines: (f) => [
        line(`warning: --catalog ${f.dir}/bad-rows.csv: 4 bad rows skipped (line 3: FileNumber "x" is not an ebook number; line 4: expected 3 columns, found 2; line 5: empty title; …)`),
        starts('error: --ids 99: none of these ebook numbers is in the catalog'),
      ],
    },
    { name: 'ids: not a number', args: (f) => gutenberg(f, { '--ids': '12-x' }), lines: () => [line(`error: option '--ids <list>' argument '12-x' is invalid. "12-x" is not an ebook number or range (e.g. 11 or 2000-2100)`)] },
    { name: 'ids: empty', args: (f) => gutenberg(f, { '--ids': ',' }), lines: () => [line(`error: option '--ids <list>' argument ',' is invalid. has no ebook number; give numbers and ranges, e.g. 11,1342,2000-2100`)] },
    { name: 'ids: huge', args: (f) => gutenberg(f, { '--ids': '99999999999999999999' }), lines: () => [line(`error: option '--ids <list>' argument '99999999999999999999' is invalid. "99999999999999999999" is too large to be an ebook number`)] },
    { name: 'ids: huge end of a range', args: (f) => gutenberg(f, { '--ids': '5,10-999999999999999999999' }), lines: () => [line(`error: option '--ids <list>' argument '5,10-999999999999999999999' is invalid. "10-999999999999999999999" is too large to be an ebook number`)] },
    { name: 'ids: reversed range', args: (f) => gutenberg(f, { '--ids': '5,2100-2000' }), lines: () => [line(`error: option '--ids <list>' argument '5,2100-2000' is invalid. "2100-2000" runs backwards; write it 2000-2100`)] },
    { name: 'ids: zero', args: (f) => gutenberg(f, { '--ids': '0-5' }), lines: () => [line(`error: option '--ids <list>' argument '0-5' is invalid. "0-5": ebook numbers start at 1`)] },
    { name: 'ids: zero at the end', args: (f) => gutenberg(f, { '--ids': '5-0' }), lines: () => [line(`error: option '--ids <list>' argument '5-0' is invalid. "5-0": ebook numbers start at 1`)] },
    { name: 'workers 0', args: (f) => gutenberg(f, { '--workers': '0' }), lines: () => [line(`error: option '--workers <n|auto>' argument '0' is invalid. must be a whole number of at least 1, or auto`)] },
    { name: 'workers negative', args: (f) => gutenberg(f, { '--workers': '-3' }), lines: () => [line(`error: option '--workers <n|auto>' argument '-3' is invalid. must be a whole number of at least 1, or auto`)] },
    { name: 'workers huge', args: (f) => gutenberg(f, { '--workers': '99999999999999999999' }), lines: () => [line(`error: option '--workers <n|auto>' argument '99999999999999999999' is invalid. is too large; give a smaller whole number, or auto`)] },
    { name: 'workers above the limit', args: (f) => gutenberg(f, { '--workers': '65' }), lines: () => [line('error: --workers 65: is too large; give a number of at most 64')] },
    { name: 'workers 1e3', args: (f) => gutenberg(f, { '--workers': '1e3' }), lines: () => [line(`error: option '--workers <n|auto>' argument '1e3' is invalid. must be a whole number of at least 1, or auto`)] },
    { name: 'timeout too small', args: (f) => gutenberg(f, { '--timeout': '5' }), lines: () => [line('error: --timeout 5: is too small; give a number of at least 100')] },
    { name: 'mirror: another scheme', args: (f) => gutenberg(f, { '--mirror': 'gopher://x/' }), lines: () => [line('error: --mirror gopher://x/: is a gopher:// URL; a mirror is ftp://, ftps://, http:// or https://')] },
    { name: 'mirror: not a URL', args: (f) => gutenberg(f, { '--mirror': 'aleph.gutenberg.org' }), lines: () => [line('error: --mirror aleph.gutenberg.org: is not a URL; give the mirror root, e.g. https://aleph.gutenberg.org/ or ftp://host/path/')] },
    { name: 'mirror: a space', args: (f) => gutenberg(f, { '--mirror': 'http://127.0.0.1:9/ gutenberg/' }), lines: () => [line('error: --mirror http://127.0.0.1:9/ gutenberg/: contains a space; write a space inside a URL as %20, and quote the URL in a shell')] },
    {
      name: 'mirror: credentials over HTTP (the password is never printed)',
      args: (f) => gutenberg(f, { '--mirror': 'https://me:hunter2@127.0.0.1:9/' }),
      lines: () => [line('error: --mirror https://me:***@127.0.0.1:9/: carries a user name or password; HTTP mirrors are public: drop the "user:password@" part')],
    },
    { name: 'out is a file', args: (f) => gutenberg(f, { '--out': f.catalog }), lines: (f) => [line(`error: --out ${f.catalog}: is a file, not a folder; give a folder`)] },
    { name: 'out cannot be created', args: (f) => gutenberg(f, { '--out': `${f.catalog}/out` }), lines: (f) => [line(`error: --out ${f.catalog}/out: cannot be created: ${f.catalog} is a file, not a folder; give another folder`)] },
    { name: 'out in a folder that cannot be written', asNobody: true, args: (f) => gutenberg(f, { '--out': `${f.dir}/closed/out` }), lines: (f) => [line(`error: --out ${f.dir}/closed/out: cannot be created: ${f.dir}/closed is not writable (permission denied); choose another folder`)] },
    { name: 'missing CA file', args: (f) => gutenberg(f, { '--ca-file': `${f.dir}/nope.pem` }), lines: (f) => [line(`error: --ca-file ${f.dir}/nope.pem: no such file; check the path`)] },
    { name: 'CA file without a certificate', args: (f) => gutenberg(f, { '--ca-file': f.catalog }), lines: (f) => [line(`error: --ca-file ${f.catalog}: has no PEM certificate (-----BEGIN CERTIFICATE-----); give the CA certificate in PEM form`)] },
    {
      name: 'several problems: one line each',
      args: (f) => gutenberg(f, { '--catalog': `${f.dir}/nonexistent.csv`, '--mirror': 'ftp://me:hunter2@127.0.0.1:9/', '--out': f.catalog }),
      lines: (f) => [line(`error: --out ${f.catalog}: is a file, not a folder; give a folder`), line(`error: --catalog ${f.dir}/nonexistent.csv: no such file; check the path`)],
    },
    {
      name: 'option and file problems together: all of them at once',
      args: (f) => gutenberg(f, { '--catalog': `${f.dir}/nonexistent.csv`, '--workers': '65', '--out': f.catalog }),
      lines: (f) => [
        line('error: --workers 65: is too large; give a number of at most 64'),
        line(`error: --catalog ${f.dir}/nonexistent.csv: no such file; check the path`),
        line(`error: --out ${f.catalog}: is a file, not a folder; give a folder`),
      ],
    },
  ],
  clean: [
    { name: 'empty input (/dev/null)', args: () => ['clean', '/dev/null'], lines: () => [line('error: /dev/null: is empty; there is no text to clean')] },
    { name: 'empty file', args: (f) => ['clean', `${f.dir}/empty.csv`], lines: (f) => [line(`error: ${f.dir}/empty.csv: is empty; give a file with something in it`)] },
    { name: 'missing file', args: (f) => ['clean', `${f.dir}/nonexistent.txt`, '--out-dir', f.out], lines: (f) => [line(`error: ${f.dir}/nonexistent.txt: no such file; check the path`)] },
    { name: 'a folder', args: (f) => ['clean', `${f.dir}/folder`], lines: (f) => [line(`error: ${f.dir}/folder: is a folder, not a file; give the path of a file`)] },
    { name: 'unreadable file', asNobody: true, args: (f) => ['clean', `${f.dir}/unreadable.csv`], lines: (f) => [line(`error: ${f.dir}/unreadable.csv: cannot be read (permission denied); check its permissions`)] },
    {
      name: 'name not UTF-8',
      args: () => [],
      shell: (f) => `exec "${process.execPath}" "${bin}" clean "$(printf '${f.dir}/bad\\377.csv')"`,
      lines: (f) => [line(`error: ${f.dir}/bad\uFFFD.csv: its name is not valid UTF-8 (shown with �), so it cannot be opened; rename the file`)],
    },
    { name: 'several files, no --out-dir', args: (f) => ['clean', f.catalog, `${f.dir}/bad-rows.csv`], lines: () => [line("error: --out-dir: is missing; 2 files need a folder to be cleaned into (only one file's text can go to stdout)")] },
    { name: '--out-dir is a file', args: (f) => ['clean', f.catalog, '--out-dir', `${f.dir}/passwd`], lines: (f) => [line(`error: --out-dir ${f.dir}/passwd: is a file, not a folder; give a folder`)] },
    {
      name: 'two inputs of one name',
      args: (f) => ['clean', f.catalog, `${f.dir}/folder/cat.csv`, '--out-dir', f.out],
      lines: (f) => [line(`error: ${f.dir}/folder/cat.csv: has the same name as ${f.catalog}; both would be written to ${f.out}/cat.csv: clean them into separate folders`)],
    },
    { name: '--out-dir holds the input', args: (f) => ['clean', f.catalog, '--out-dir', f.dir], lines: (f) => [line(`error: --out-dir ${f.dir}: holds ${f.catalog} itself; its cleaned copy would replace it: choose another folder`)] },
    { name: 'no file at all', args: () => ['clean'], lines: () => [line("error: missing required argument 'files'")] },
    // A UTF-16 text is read (clean-utf16.test.ts); one that is not valid UTF-16 would be mojibake.
    {
      name: 'a UTF-16 file cut short (an odd number of bytes)',
      args: (f) => ['clean', `${f.dir}/utf16.txt`, '--out-dir', f.out],
      lines: (f) => [line(`error: ${f.dir}/utf16.txt: is UTF-16LE text (it starts with a UTF-16 byte order mark) but not valid UTF-16 (an odd number of bytes, or half a surrogate pair); it cannot be read as text`)],
    },
    { name: 'a zip', args: (f) => ['clean', `${f.dir}/book-0.zip`], lines: (f) => [line(`error: ${f.dir}/book-0.zip: is a zip archive, not a text; unzip it and clean the .txt inside`)] },
    { name: 'binary data', args: (f) => ['clean', `${f.dir}/data.bin`], lines: (f) => [line(`error: ${f.dir}/data.bin: is not a text file: 2 of its 6 bytes are control characters (1 NUL), which no text holds; not UTF-16 either (one NUL shows no UTF-16 pattern); give a Gutenberg .txt file`)] },
  ],
  serve: [
    { name: 'port too large', args: () => ['serve', '--port', '99999'], lines: () => [line("error: option '-p, --port <port>' argument '99999' is invalid. must be a whole number from 0 to 65,535")] },
    { name: 'port negative', args: () => ['serve', '--port', '-1'], lines: () => [line("error: option '-p, --port <port>' argument '-1' is invalid. must be a whole number from 0 to 65,535")] },
    { name: 'port not a number', args: () => ['serve', '--port', 'http'], lines: () => [line("error: option '-p, --port <port>' argument 'http' is invalid. must be a whole number from 0 to 65,535")] },
    {
      name: 'port in use',
      args: (f) => ['serve', '--port', String(f.busyPort), '--data-dir', `${f.dir}/folder`],
      lines: (f) => [line(`error: --port ${f.busyPort}: is already in use (another fanout serve?); choose another with --port, or --port 0 for any free port`)],
    },
    { name: '--data-dir is a file', args: (f) => ['serve', '--port', '0', '--data-dir', f.catalog], lines: (f) => [line(`error: --data-dir ${f.catalog}: is a file, not a folder; give a folder`)] },
  ],
  mail: [
    { name: 'port too large', env: MAIL_ENV, args: (f) => mail(f, { '--port': '99999' }), lines: () => [line('error: --port 99999: is too large; give a number of at most 65535')] },
    { name: 'port 0', env: MAIL_ENV, args: (f) => mail(f, { '--port': '0' }), lines: () => [line(`error: option '--port <n>' argument '0' is invalid. must be a whole number of at least 1`)] },
    { name: 'connections negative', env: MAIL_ENV, args: (f) => mail(f, { '--connections': '-2' }), lines: () => [line(`error: option '--connections <n|auto>' argument '-2' is invalid. must be a whole number of at least 1, or auto`)] },
    { name: 'connections above the limit', env: MAIL_ENV, args: (f) => mail(f, { '--connections': '33' }), lines: () => [line('error: --connections 33: is too large; give a number of at most 32')] },
    { name: 'host is a URL', env: MAIL_ENV, args: (f) => mail(f, { '--host': 'imap://127.0.0.1:993' }), lines: () => [line('error: --host imap://127.0.0.1:993: is a URL; give the host name only (e.g. imap.example.com) and the port separately')] },
    { name: 'host with a space', env: MAIL_ENV, args: (f) => mail(f, { '--host': 'imap example.com' }), lines: () => [line('error: --host imap example.com: is not a host name (it has a space, "/" or "@"); give the server name only, e.g. imap.example.com')] },
    { name: 'password variable unset', args: (f) => mail(f, { '--password-env': 'FANOUT_TEST_UNSET_PW' }), lines: () => [line('error: environment variable FANOUT_TEST_UNSET_PW is not set (or empty)')] },
    { name: 'out is a file', env: MAIL_ENV, args: (f) => mail(f, { '--out': f.catalog }), lines: (f) => [line(`error: --out ${f.catalog}: is a file, not a folder; give a folder`)] },
    {
      name: "out is the account's archive folder",
      env: MAIL_ENV,
      args: (f) => mail(f, { '--out': `${f.dir}/archive/u@127.0.0.1` }),
      lines: (f) => [line(`error: --out ${f.dir}/archive/u@127.0.0.1: is the archive folder of u@127.0.0.1 itself (it holds folders.json); give the folder above it, ${f.dir}/archive: a run here would start a second archive inside it and fetch every message again`)],
    },
    { name: 'out cannot be created', env: MAIL_ENV, args: (f) => mail(f, { '--out': `${f.catalog}/x` }), lines: (f) => [line(`error: --out ${f.catalog}/x: cannot be created: ${f.catalog} is a file, not a folder; give another folder`)] },
  ],
  // A mistyped option is named as such, before any required option it leaves missing (it was
  // reported as a missing --catalog / --host), with the option meant; one line, exit 2.
  usage: [
    { name: 'gutenberg --catalg', args: (f) => ['gutenberg', '--catalg', f.catalog, '--mirror', 'http://127.0.0.1:9/', '--out', f.out], lines: () => [line('error: unknown option --catalg (did you mean --catalog?)')] },
    { name: 'gutenberg --catalg=…', args: (f) => ['gutenberg', `--catalg=${f.catalog}`], lines: () => [line('error: unknown option --catalg (did you mean --catalog?)')] },
    { name: 'gutenberg: a word nothing is close to', args: (f) => gutenberg(f, { '--zzzzzz': '1' }), lines: () => [line('error: unknown option --zzzzzz; `fanout gutenberg --help` lists the options')] },
    { name: 'gutenberg: an unknown short option', args: (f) => gutenberg(f, { '-x': '1' }), lines: () => [line('error: unknown option -x; `fanout gutenberg --help` lists the options')] },
    { name: 'mail --usr', env: MAIL_ENV, args: (f) => mail(f, { '--user': null, '--usr': 'a' }), lines: () => [line('error: unknown option --usr (did you mean --user?)')] },
    { name: 'mail --usr, nothing else', args: () => ['mail', '--usr', 'a'], lines: () => [line('error: unknown option --usr (did you mean --user?)')] },
    { name: 'verify mail --hots', env: MAIL_ENV, args: (f) => ['verify', ...mail(f, { '--host': null, '--hots': 'h' })], lines: () => [line('error: unknown option --hots (did you mean --host?)')] },
    { name: 'verify corpus --jsn', args: (f) => ['verify', 'corpus', '--jsn', f.dir], lines: () => [line('error: unknown option --jsn (did you mean --json?)')] },
    { name: 'verify crpus', args: (f) => ['verify', 'crpus', f.dir], lines: () => [line('error: unknown command crpus (did you mean corpus?)')] },
    { name: 'clean --out (a prefix of --out-dir)', args: (f) => ['clean', f.catalog, '--out', f.out], lines: () => [line('error: unknown option --out (did you mean --out-dir?)')] },
    { name: 'lab gutenberg --catalg', args: (f) => ['lab', 'gutenberg', '--catalg', f.catalog], lines: () => [line('error: unknown option --catalg (did you mean --catalog?)')] },
    { name: 'lab scrub --inptu', args: (f) => ['lab', 'scrub', '--inptu', f.dir], lines: () => [line('error: unknown option --inptu (did you mean --input?)')] },
    { name: 'lab mail --usr', args: () => ['lab', 'mail', '--usr', 'a'], lines: () => [line('error: unknown option --usr (did you mean --user?)')] },
    { name: 'mirrors --prob', args: () => ['mirrors', '--prob'], lines: () => [line('error: unknown option --prob (did you mean --probe?)')] },
    { name: 'serve --prot', args: () => ['serve', '--prot', '5'], lines: () => [line('error: unknown option --prot (did you mean --port?)')] },
    { name: 'an option before the command', args: () => ['--bogus', 'mirrors'], lines: () => [line('error: unknown option --bogus; `fanout --help` lists the options')] },
    // An option given twice: commander kept the last silently (--ids 5 --ids 7 fetched 7 only).
    { name: '--ids twice', args: (f) => gutenberg(f, { '--ids': '5', '--workers': '2' }).concat('--ids', '1342'), lines: () => [line('error: --ids is given twice (only the last would be used); give one list: --ids 5,1342')] },
    {
      name: '--mirror twice (no value shown: it may carry a password)',
      args: (f) => gutenberg(f, { '--mirror': 'ftp://me:hunter2@127.0.0.1:9/' }).concat('--mirror', 'http://127.0.0.1:9/'),
      lines: () => [line('error: --mirror is given twice (only the last would be used); give it once')],
    },
    { name: 'mail --folders twice', env: MAIL_ENV, args: (f) => mail(f, { '--folders': 'INBOX' }).concat('--folders', 'Sent'), lines: () => [line('error: --folders is given twice (only the last would be used); give one list: --folders INBOX,Sent')] },
    { name: 'verify mail --out twice', env: MAIL_ENV, args: (f) => ['verify', ...mail(f), '--out', f.dir], lines: () => [line('error: --out is given twice (only the last would be used); give it once')] },
    { name: 'serve -p and --port', args: () => ['serve', '-p', '0', '--port', '0'], lines: () => [line('error: --port is given twice (only the last would be used); give it once')] },
    { name: 'a required option missing, nothing mistyped', args: (f) => gutenberg(f, { '--mirror': null }), lines: () => [line("error: required option '--mirror <url>' not specified")] },
    { name: 'lab scrub: --input missing', args: (f) => ['lab', 'scrub', '--out-dir', f.out], lines: () => [line("error: required option '--input <dir>' not specified")] },
  ],
  verify: [
    { name: 'corpus: no such folder', args: (f) => ['verify', 'corpus', `${f.dir}/nonexistent`], lines: (f) => [line(`error: ${f.dir}/nonexistent: no such folder; check the path`)] },
    { name: 'corpus: a file', args: (f) => ['verify', 'corpus', f.catalog], lines: (f) => [line(`error: ${f.catalog}: is a file, not a folder; give a folder`)] },
    { name: 'corpus: a device', args: () => ['verify', 'corpus', '/dev/null'], lines: () => [line('error: /dev/null: is a file, not a folder; give a folder')] },
    {
      name: 'corpus: not an output folder',
      args: (f) => ['verify', 'corpus', `${f.dir}/folder`],
      lines: (f) => [line(`error: ${f.dir}/folder: has no readable manifest.jsonl (no such file): it is not the output folder of a \`fanout gutenberg\` run; give the folder given to its --out`)],
    },
    { name: 'mail: no such archive', env: MAIL_ENV, args: (f) => ['verify', ...mail(f, { '--out': `${f.dir}/nonexistent` })], lines: (f) => [line(`error: --out ${f.dir}/nonexistent: no such folder; check the path`)] },
    {
      name: 'mail: a folder with no archive of the account',
      env: MAIL_ENV,
      args: (f) => ['verify', ...mail(f, { '--out': `${f.dir}/folder` })],
      lines: (f) => [line(`error: --out ${f.dir}/folder: holds no mail archive of u@127.0.0.1 (no u@127.0.0.1/folders.json in it); give the folder given to \`fanout mail --out\``)],
    },
    {
      name: "mail: the account's folder itself",
      env: MAIL_ENV,
      args: (f) => ['verify', ...mail(f, { '--out': `${f.dir}/archive/u@127.0.0.1` })],
      lines: (f) => [line(`error: --out ${f.dir}/archive/u@127.0.0.1: is the account's archive folder itself; give the folder above it, the one given to \`fanout mail --out\`: ${f.dir}/archive`)],
    },
    { name: 'mail: sample negative', env: MAIL_ENV, args: (f) => ['verify', ...mail(f, { '--sample': '-1' })], lines: () => [line("error: option '--sample <n>' argument '-1' is invalid. must be a whole number from 0 to 1,000,000")] },
    { name: 'mail: host with a space', env: MAIL_ENV, args: (f) => ['verify', ...mail(f, { '--host': 'imap example.com', '--out': `${f.dir}/folder` })], lines: () => [line('error: --host imap example.com: is not a host name (it has a space, "/" or "@"); give the server name only, e.g. imap.example.com')] },
  ],
};

/** Every path under `dir` with its type, size and modification time: what "nothing written" compares. */
async function snapshot(dir: string): Promise<string[]> {
  const out: string[] = [];
  // Names as bytes: one of them is not UTF-8.
  const walk = async (d: Buffer): Promise<void> => {
    for (const name of (await readdir(d, { encoding: 'buffer' })).sort(Buffer.compare)) {
      const p = Buffer.concat([d, Buffer.from('/'), name]);
      const st = await lstat(p);
      out.push(`${p.toString('latin1')} ${st.isDirectory() ? 'd' : st.size} ${st.mtimeMs}`);
      if (st.isDirectory()) await walk(p);
    }
  };
  await walk(Buffer.from(dir));
  return out;
}

let dir: string;
let busy: Server;
let busyPort: number;
let before: string[];
let bundle: Awaited<ReturnType<typeof bundleCli>>;
beforeAll(async () => {
  bundle = await bundleCli();
  bin = bundle.file;
  dir = await mkdtemp(join(tmpdir(), 'fanout-bad-input-'));
  await chmod(dir, 0o755); // the "nobody" cases must reach their files
  await writeFile(join(dir, 'cat.csv'), 'author,FileNumber,Title\nAusten,1342,Pride and Prejudice\nAnon,5,Five\nAnon,1000,One Thousand\n');
  await writeFile(join(dir, 'bad-rows.csv'), 'author,FileNumber,Title\nAusten,1342,Pride\nB,x,Two\nC,3\nD,4,\nE,6,"broken"quote\nF,7,Seven\n');
  await writeFile(join(dir, 'empty.csv'), '');
  await mkdir(join(dir, 'archive', 'u@127.0.0.1'), { recursive: true });
  await writeFile(join(dir, 'archive', 'u@127.0.0.1', 'folders.json'), '{"dirs":{"INBOX":"INBOX"}}\n');
  await writeFile(join(dir, 'utf16.txt'), Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from('*** START OF THE PROJECT GUTENBERG EBOOK X ***\nText\n', 'utf16le'), Buffer.from([0x41])]));
  await writeFile(join(dir, 'book-0.zip'), Buffer.concat([Buffer.from('PK\x03\x04', 'latin1'), Buffer.alloc(60, 1)]));
  await writeFile(join(dir, 'data.bin'), Buffer.from([0x41, 0x42, 0x00, 0x01, 0x43, 0x0a]));
  await writeFile(join(dir, 'header-only.csv'), 'Text#,Type,Issued,Title,Language,Authors,Subjects,LoCC,Bookshelves\n');
  await copyFile('/etc/passwd', join(dir, 'passwd'));
  await mkdir(join(dir, 'folder'));
  await copyFile(join(dir, 'cat.csv'), join(dir, 'folder', 'cat.csv'));
  await writeFile(join(dir, 'unreadable.csv'), 'author,FileNumber,Title\nA,1,One\n', { mode: 0o000 });
  await writeFile(Buffer.from(`${dir}/bad\xff.csv`, 'latin1'), 'author,FileNumber,Title\nA,1,One\n');
  await mkdir(join(dir, 'closed'), { mode: 0o555 });
  await mkdir(join(dir, 'open'), { mode: 0o777 });
  await chmod(join(dir, 'open'), 0o777);
  busy = createServer();
  await new Promise<void>((r) => busy.listen(0, '127.0.0.1', () => r()));
  busyPort = (busy.address() as { port: number }).port;
  before = await snapshot(dir);
});
afterAll(async () => {
  busy?.close();
  await bundle?.remove();
  if (dir) await rm(dir, { recursive: true, force: true });
});

for (const [command, cases] of Object.entries(CASES)) {
  describe(`fanout ${command}: bad input`, () => {
    it.concurrent.each(cases.map((c, i) => [c.name, c, i] as const))('%s', async (_name, c, i) => {
      const f: Fx = { dir, catalog: join(dir, 'cat.csv'), out: join(dir, `out-${command}-${i}`), busyPort };
      const r = await limited(() => fanout(c.args(f), { env: c.env, asNobody: c.asNobody, shell: c.shell?.(f) }));
      const lines = r.stderr.split('\n').filter((l) => l !== '');
      const expected = c.lines(f);
      expect(lines, r.stderr).toHaveLength(expected.length);
      lines.forEach((l, k) => expect(l).toMatch(expected[k]!));
      expect(r.code, r.stderr).toBe(c.code ?? 2);
      expect(r.stdout).toBe('');
      expect(r.stderr).not.toMatch(/hunter2|secret-pw/);
      expect(await snapshot(dir)).toEqual(before);
    });
  });
}

describe('fanout: unexpected errors', () => {
  it('an unknown command or option is a usage error (exit 2) with a suggestion', async () => {
    const command = await fanout(['gutenbreg']);
    expect([command.code, command.stderr.trim()]).toEqual([2, 'error: unknown command gutenbreg (did you mean gutenberg?)']);
    const option = await fanout(['gutenberg', '--catalog', 'c', '--mirror', 'http://m/', '--out', 'o', '--wrokers', '3']);
    expect([option.code, option.stderr.trim()]).toEqual([2, 'error: unknown option --wrokers (did you mean --workers?)']);
  });

  it('an error nothing expected is one line (exit 1; 2 for bad input), the stack only with --debug or FANOUT_DEBUG=1', async () => {
    const crash = await bundleCli('tests/integration/cli/crash-entry.ts');
    try {
      const run = (args: string[], env: Record<string, string> = {}) =>
        new Promise<Run>((done) => {
          const child = spawn(process.execPath, [crash.file, ...args], { env: { ...process.env, FANOUT_DEBUG: '', ...env } });
          let stderr = '';
          child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
          child.on('close', (code) => done({ code: code ?? -1, stdout: '', stderr }));
        });
      const expected: Array<[string, number, string]> = [
        ['throws', 1, 'error: cannot read properties of undefined (run with --debug for the details)'],
        ['late-throw', 1, 'error: write EPIPE from a stream nobody listened to (run with --debug for the details)'],
        ['rejects', 1, 'error: a promise nobody awaited (run with --debug for the details)'],
        ['disk-full', 1, 'error: No space left on /mnt/small [DISK_FULL]'],
        ['bad-input', 2, 'error: the catalog vanished'],
      ];
      for (const [cmd, code, text] of expected) {
        const r = await run([cmd]);
        expect([r.code, r.stderr]).toEqual([code, `${text}\n`]);
      }
      for (const r of [await run(['throws', '--debug']), await run(['throws'], { FANOUT_DEBUG: '1' })]) {
        expect(r.code).toBe(1);
        expect(r.stderr).toMatch(/^TypeError: cannot read properties of undefined\n\s+at /);
        expect(r.stderr.trim().split('\n').at(-1)).toBe('error: cannot read properties of undefined');
      }
    } finally {
      await crash.remove();
    }
  });
});
