/**
 * Every message a person can see from the job spec and IPC schemas (shared/job-spec.ts,
 * shared/ipc-schemas.ts), frozen: the CLI's problem lines (through parseWithProblems, as
 * cli-validation prints them), the UI's BAD_INPUT messages (parseCommand) and the web host's
 * message check (zod's own words). Written before the schemas moved from zod to zod/mini (a
 * smaller build for the CLI's start-up), so that the move changes none of them; the expected
 * lines are the classic-zod outputs of the same inputs.
 */
import { describe, expect, it } from 'vitest';
import { GutenbergJobSpecSchema, MailAccountSchema, MailJobSpecSchema } from '../../../shared/job-spec';
import { ClientMessageSchema, parseCommand } from '../../../shared/ipc-schemas';
import { parseWithProblems } from '../../../shared/input-checks';

const G = { kind: 'gutenberg', catalog: '/tmp/c.csv', mirror: 'ftp://127.0.0.1:2121/', outDir: '/tmp/out' };
const A = { host: 'imap.example.org', user: 'me', auth: { method: 'password', password: 'pw' } };
const M = { kind: 'mail', account: A, outDir: '/tmp/m' };
const specCases: Array<[string, unknown]> = [
  ['gutenberg ok', G],
  ['gutenberg empty', {}],
  ['gutenberg null', null],
  ['gutenberg many', { ...G, catalog: '', mirror: 'gopher://x', workers: 0, strategy: 'random', timeoutMs: 50, attempts: 21, scrubWorkers: 4.5, scrubExecutor: 'forks', limitRate: 1, waitMs: -1, maxPerHost: 65, itemTimeoutMs: 99, scrubQueue: 0, allowMainSite: 'yes', proxy: 'ftp://p' }],
  ['gutenberg strings for numbers', { ...G, workers: '4', timeoutMs: 'x', scrubQueue: 'lots' }],
  ['gutenberg huge', { ...G, workers: 1e20, limitRate: 1e30, timeoutMs: Number.NaN, attempts: Infinity }],
  ['gutenberg tls extra', { ...G, mirrorTls: { allowUntrustedCert: true, caFile: '', bogus: 1 } }],
  ['gutenberg selection', { ...G, selection: { ids: [], limit: 0, author: 3 } }],
  ['gutenberg ranges', { ...G, selection: { ids: [{ from: 9, to: 3 }, { from: 0, to: 1.5 }, { from: 'a' }] } }],
  // The words of shared/id-ranges.ts (idRangeProblem, NO_IDS), as the CLI's --ids says them.
  ['gutenberg range ends', { ...G, selection: { ids: [{ from: 0, to: 5 }, { from: 5, to: 0 }, { from: 10, to: 1e20 }, { from: 7, to: 7 }] } }],
  ['gutenberg kind', { ...G, kind: 'ftp' }],
  ['gutenberg mirror spaces', { ...G, mirror: 'http://a b/' }],
  ['gutenberg proxy socks', { ...G, proxy: 'socks4://h:1' }],
  ['gutenberg defaults', { ...G, selection: undefined, mirrorTls: undefined }],
  ['mail ok', M],
  ['mail empty', {}],
  ['mail account bad', { ...M, account: { host: 'imap://h:993', port: 70000, tls: 'ssl', user: '', auth: { method: 'password', password: '' }, proxy: 'ftp://x:1' } }],
  ['mail auth method', { ...M, account: { ...A, auth: { method: 'kerberos' } } }],
  ['mail auth missing', { ...M, account: { ...A, auth: undefined } }],
  ['mail auth oauth', { ...M, account: { ...A, auth: { method: 'oauth2', accessToken: '' } } }],
  ['mail folders', { ...M, folders: [] }],
  ['mail folders empty name', { ...M, folders: ['INBOX', ''] }],
  ['mail folders word', { ...M, folders: 'some' }],
  ['mail numbers', { ...M, connections: 33, timeoutMs: 99, autoWorkers: 1, strategy: 'x', outDir: '' }],
  ['mail host port', { ...M, account: { ...A, host: 'h:993', port: 0 } }],
  ['mail host space', { ...M, account: { ...A, host: 'a b', port: 1.5 } }],
  ['mail account not object', { ...M, account: 'x' }],
];
const accountCases: Array<[string, unknown]> = [
  ['ok', A], ['empty host', { ...A, host: '' }], ['bad tls', { ...A, tls: 'x' }], ['proxy socks5 ok', { ...A, proxy: 'socks5://h:1080' }], ['proxy bad', { ...A, proxy: 'nope' }], ['extra', { ...A, extra: 1 }],
];
const ipcCases: Array<[string, unknown]> = [
  ['app:info', {}], ['app:info', { x: 1 }], ['settings:get', null], ['settings:set', { workers: 65, strategy: 'x', mail: { host: 'h', user: 'u', tls: 'ssl', rememberPassword: 'y', extra: 1 }, bogus: 2 }],
  ['settings:set', { mirror: 'x'.repeat(2001), outDir: 3 }], ['settings:set', { mail: { host: 'h', user: 'u', tls: 'none', rememberPassword: true, port: 0 } }],
  ['job:start', { spec: G }], ['job:start', { spec: { ...G, catalog: 'rel.csv', outDir: '/x\0y' } }], ['job:start', { spec: { ...G, mirrorTls: { caFile: 'ca.pem' } } }],
  ['job:start', { spec: { ...M } }], ['job:start', { spec: { ...M, outDir: 'rel' } }], ['job:start', { spec: { kind: 'x' } }], ['job:start', { spec: G, extra: 1 }], ['job:start', {}],
  ['job:start', { spec: { ...G, outDir: '/' + 'a'.repeat(4001) } }],
  ['job:check', { spec: 42 }], ['job:check', {}], ['job:pause', { jobId: '' }], ['job:resume', { jobId: 'x'.repeat(201) }], ['job:set-rate', { jobId: 'j', bytesPerSecond: null }], ['job:set-rate', { jobId: 'j', bytesPerSecond: 1 }], ['job:set-rate', { jobId: 'j' }],
  ['job:cancel', { jobId: 'j', x: 1 }], ['job:active', []], ['catalog:load', { path: 'x.csv' }], ['catalog:load', { path: '' }], ['catalog:download', { mirror: '' }], ['catalog:cancel-download', { id: 1 }],
  ['catalog:search', { catalogId: 'c', query: { text: 'a', bogus: 1 }, offset: -1, limit: 5000 }], ['catalog:search', { catalogId: 'c', query: { author: 'x'.repeat(501) }, offset: 0, limit: 10 }],
  ['catalog:ids', { catalogId: '', query: {} }], ['history:list', {}], ['history:get', { jobId: 'j', from: -1, count: 0 }], ['history:get', { jobId: 'j', count: 1e9 }],
  ['lab:run', { spec: G, strategies: [], workerCounts: [1], sampleSize: 5, repeats: 1, compareScrubExecutors: false }],
  ['lab:run', { spec: G, strategies: ['queue'], workerCounts: [1, 2, 3, 4, 5, 6, 7, 8, 9], sampleSize: 2001, repeats: 10, compareScrubExecutors: 'no' }],
  ['lab:run', { spec: G, strategies: ['queue'], workerCounts: [1], sampleSize: 5, repeats: 1, compareScrubExecutors: false }],
  ['lab:run', { kind: 'gutenberg', spec: G, strategies: ['queue'], workerCounts: [1], sampleSize: 5, repeats: 1, compareScrubExecutors: false }],
  ['lab:run', { kind: 'scrub', input: 'rel', sampleSize: 0, executors: [], workerCounts: [65], repeats: 0 }],
  ['lab:run', { kind: 'scrub', input: '/in', sampleSize: 10, executors: ['threads'], workerCounts: [2], repeats: 1 }],
  ['lab:run', { kind: 'queue', spec: G, bounds: [null, 0, 100001], sampleSize: 5, repeats: 1 }],
  ['lab:run', { kind: 'queue', spec: G, bounds: [], sampleSize: 5, repeats: 1 }],
  ['lab:run', { kind: 'mail', spec: { ...M, outDir: 'rel' }, strategies: ['x'], connectionCounts: [33], repeats: 1 }],
  ['lab:run', { kind: 'mail', spec: M, strategies: ['queue'], connectionCounts: [2], repeats: 1 }],
  ['lab:run', { kind: 'stragglers', spec: { ...G, strategy: 'adaptive' }, timeouts: [null, 50], sampleSize: 5, repeats: 1 }],
  ['lab:run', { kind: 'stragglers', spec: { ...G, strategy: 'queue' }, timeouts: [null, 500], sampleSize: 5, repeats: 1 }],
  ['lab:run', { kind: 'stragglers', spec: G, timeouts: [null], sampleSize: 5, repeats: 1 }],
  ['lab:run', { kind: 'nope' }], ['lab:run', null], ['lab:run', [1]], ['lab:cancel', { labId: '' }],
  ['mail:test', { account: { host: 'h', user: 'u', auth: { method: 'password', password: '' } } }], ['mail:test', { account: A }], ['mail:folders', { account: { ...A, port: 'x' } }],
  ['secrets:save-mail-password', { host: '', user: 'u', password: 'x'.repeat(4001) }], ['secrets:forget-mail-password', { host: 'h' }], ['secrets:load-mail-password', { host: 'h', user: 'u', extra: 1 }],
  ['dialog:pick-folder', { title: 3 }], ['dialog:pick-folder', {}], ['shell:open-path', { path: 'C:\\x' }], ['shell:open-path', { path: '\\\\srv\\x' }], ['verify:run', { jobId: 3 }],
  ['shell:exec', {}],
];

const lines = (r: ReturnType<typeof parseWithProblems>) => (r.ok ? 'ok' : r.problems.map((p) => `${p.field}${p.value === undefined ? '' : ` [${p.value}]`}: ${p.message}`));
const command = (c: string, p: unknown) => {
  try {
    parseCommand(c as never, p);
    return 'ok';
  } catch (e) {
    return (e as Error).message;
  }
};

const EXPECTED = {
  "gutenberg": [
    [
      "gutenberg ok",
      "ok"
    ],
    [
      "gutenberg empty",
      [
        "kind: must be one of gutenberg",
        "catalog: is missing; give a value",
        "mirror: is missing; give a value",
        "outDir: is missing; give a value"
      ]
    ],
    [
      "gutenberg null",
      [
        ": must be a object"
      ]
    ],
    [
      "gutenberg many",
      [
        "catalog []: is empty; give a value",
        "mirror [gopher://x]: is a gopher:// URL; a mirror is ftp://, ftps://, http:// or https://",
        "workers [0]: is too small; give a number of at least 1",
        "strategy [random]: must be one of serial, queue, split, adaptive",
        "scrubWorkers [4.5]: is not a whole number; give one",
        "scrubExecutor [forks]: must be one of threads, processes",
        "timeoutMs [50]: is too small; give a number of at least 100",
        "attempts [21]: is too large; give a number of at most 20",
        "itemTimeoutMs [99]: is too small; give a number of at least 100",
        "limitRate [1]: is too small; give a number of at least 16384",
        "waitMs [-1]: is too small; give a number of at least 0",
        "maxPerHost [65]: is too large; give a number of at most 64",
        "scrubQueue [0]: is too small; give a number of at least 1",
        "allowMainSite [yes]: must be a boolean",
        "proxy [ftp://p]: \"ftp://p\" is not a proxy: only http:// proxies (HTTP mirrors) and socks5:// (FTP mirrors) are supported, not ftp://"
      ]
    ],
    [
      "gutenberg strings for numbers",
      [
        "workers [4]: is not a whole number; give one",
        "timeoutMs [x]: is not a whole number; give one",
        "scrubQueue [lots]: invalid input"
      ]
    ],
    [
      "gutenberg huge",
      [
        "workers [100000000000000000000]: is too large; give a number of at most 9007199254740991",
        "workers [100000000000000000000]: is too large; give a number of at most 64",
        "timeoutMs [NaN]: is not a whole number; give one",
        "attempts [Infinity]: is not a whole number; give one",
        "limitRate [1e+30]: is too large; give a number of at most 9007199254740991",
        "limitRate [1e+30]: is too large; give a number of at most 10737418240"
      ]
    ],
    [
      "gutenberg tls extra",
      [
        "mirrorTls.caFile []: is empty; give a value",
        "mirrorTls: unrecognized key: \"bogus\""
      ]
    ],
    [
      "gutenberg selection",
      [
        "selection.ids: has no ebook number; give numbers and ranges, e.g. 11,1342,2000-2100",
        "selection.author [3]: must be a string",
        "selection.limit [0]: is too small; give a number of at least more than 0"
      ]
    ],
    [
      "gutenberg ranges",
      [
        "selection.ids.0: \"9-3\" runs backwards; write it 3-9",
        "selection.ids.1.to [1.5]: is not a whole number; give one",
        "selection.ids.2.from [a]: is not a whole number; give one",
        "selection.ids.2.to: is missing; give a value"
      ]
    ],
    [
      "gutenberg range ends",
      [
        "selection.ids.0: \"0-5\": ebook numbers start at 1",
        "selection.ids.1: \"5-0\": ebook numbers start at 1",
        "selection.ids.2: \"10-100000000000000000000\" is too large to be an ebook number"
      ]
    ],
    [
      "gutenberg kind",
      [
        "kind [ftp]: must be one of gutenberg"
      ]
    ],
    [
      "gutenberg mirror spaces",
      [
        "mirror [http://a b/]: contains a space; write a space inside a URL as %20, and quote the URL in a shell"
      ]
    ],
    [
      "gutenberg proxy socks",
      [
        "proxy [socks4://h:1]: \"socks4://h:1\" is not a proxy: only http:// proxies (HTTP mirrors) and socks5:// (FTP mirrors) are supported, not socks4://"
      ]
    ],
    [
      "gutenberg defaults",
      "ok"
    ]
  ],
  "mail": [
    [
      "mail ok",
      "ok"
    ],
    [
      "mail empty",
      [
        "kind: must be one of mail",
        "account: is missing; give a value",
        "outDir: is missing; give a value"
      ]
    ],
    [
      "mail account bad",
      [
        "account.host [imap://h:993]: is a URL; give the host name only (e.g. imap.example.com) and the port separately",
        "account.port [70000]: is too large; give a number of at most 65535",
        "account.tls [ssl]: must be one of implicit, starttls, none",
        "account.user []: is empty; give a value",
        "account.auth.password []: is empty; give a value",
        "account.proxy [ftp://x:1]: ftp:// proxies are not supported for mail: use socks5://, socks4:// or http://"
      ]
    ],
    [
      "mail auth method",
      [
        "account.auth.method [kerberos]: invalid discriminator value. Expected 'password' | 'oauth2'"
      ]
    ],
    [
      "mail auth missing",
      [
        "account.auth: is missing; give a value"
      ]
    ],
    [
      "mail auth oauth",
      [
        "account.auth.accessToken []: is empty; give a value"
      ]
    ],
    [
      "mail folders",
      [
        "folders: is empty; give at least one"
      ]
    ],
    [
      "mail folders empty name",
      [
        "folders.1 []: is empty; give a value"
      ]
    ],
    [
      "mail folders word",
      [
        "folders [some]: invalid input"
      ]
    ],
    [
      "mail numbers",
      [
        "connections [33]: is too large; give a number of at most 32",
        "autoWorkers [1]: must be a boolean",
        "strategy [x]: must be one of serial, queue, split, adaptive",
        "outDir []: is empty; give a value",
        "timeoutMs [99]: is too small; give a number of at least 100"
      ]
    ],
    [
      "mail host port",
      [
        "account.host [h:993]: includes a port; give the host name only and the port separately",
        "account.port [0]: is too small; give a number of at least 1"
      ]
    ],
    [
      "mail host space",
      [
        "account.host [a b]: is not a host name (it has a space, \"/\" or \"@\"); give the server name only, e.g. imap.example.com",
        "account.port [1.5]: is not a whole number; give one"
      ]
    ],
    [
      "mail account not object",
      [
        "account [x]: must be a object"
      ]
    ]
  ],
  "account": [
    [
      "ok",
      "ok"
    ],
    [
      "empty host",
      [
        "host []: is empty; give the server name, e.g. imap.example.com"
      ]
    ],
    [
      "bad tls",
      [
        "tls [x]: must be one of implicit, starttls, none"
      ]
    ],
    [
      "proxy socks5 ok",
      "ok"
    ],
    [
      "proxy bad",
      [
        "proxy [nope]: \"nope\" is not a proxy URL: write e.g. socks5://127.0.0.1:1080"
      ]
    ],
    [
      "extra",
      "ok"
    ]
  ],
  "ipc": [
    [
      0,
      "ok"
    ],
    [
      1,
      "Invalid request for \"app:info\": (payload): unrecognized key: \"x\""
    ],
    [
      2,
      "Invalid request for \"settings:get\": (payload): must be a object"
    ],
    [
      3,
      "Invalid request for \"settings:set\": workers: is too large; give a number of at most 64; strategy: must be one of serial, queue, split, adaptive; mail.tls: must be one of implicit, starttls, none; mail.rememberPassword: must be a boolean; mail: unrecognized key: \"extra\"; (payload): unrecognized key: \"bogus\""
    ],
    [
      4,
      "Invalid request for \"settings:set\": mirror: is too long; at most 2000 characters; outDir: must be a string"
    ],
    [
      5,
      "Invalid request for \"settings:set\": mail.port: is too small; give a number of at least 1"
    ],
    [
      6,
      "ok"
    ],
    [
      7,
      "Invalid request for \"job:start\": spec.catalog: is not an absolute path; give the full path (e.g. /home/me/fanout); spec.outDir: contains a NUL character; give a plain path"
    ],
    [
      8,
      "Invalid request for \"job:start\": spec.mirrorTls.caFile: is not an absolute path; give the full path (e.g. /home/me/fanout)"
    ],
    [
      9,
      "ok"
    ],
    [
      10,
      "Invalid request for \"job:start\": spec.outDir: is not an absolute path; give the full path (e.g. /home/me/fanout)"
    ],
    [
      11,
      "Invalid request for \"job:start\": spec.kind: invalid discriminator value. Expected 'gutenberg' | 'mail'"
    ],
    [
      12,
      "Invalid request for \"job:start\": (payload): unrecognized key: \"extra\""
    ],
    [
      13,
      "Invalid request for \"job:start\": spec: is missing; give a value"
    ],
    [
      14,
      "Invalid request for \"job:start\": spec.outDir: is too long; at most 4000 characters"
    ],
    [
      15,
      "ok"
    ],
    [
      16,
      "Invalid request for \"job:check\": spec: is missing; give a value"
    ],
    [
      17,
      "Invalid request for \"job:pause\": jobId: is empty; give a value"
    ],
    [
      18,
      "Invalid request for \"job:resume\": jobId: is too long; at most 200 characters"
    ],
    [
      19,
      "ok"
    ],
    [
      20,
      "Invalid request for \"job:set-rate\": bytesPerSecond: is too small; give a number of at least 16384"
    ],
    [
      21,
      "Invalid request for \"job:set-rate\": bytesPerSecond: is missing; give a value"
    ],
    [
      22,
      "Invalid request for \"job:cancel\": (payload): unrecognized key: \"x\""
    ],
    [
      23,
      "Invalid request for \"job:active\": (payload): must be a object"
    ],
    [
      24,
      "Invalid request for \"catalog:load\": path: is not an absolute path; give the full path (e.g. /home/me/fanout)"
    ],
    [
      25,
      "Invalid request for \"catalog:load\": path: is empty; give a full path"
    ],
    [
      26,
      "Invalid request for \"catalog:download\": mirror: is empty; give a value"
    ],
    [
      27,
      "Invalid request for \"catalog:cancel-download\": (payload): unrecognized key: \"id\""
    ],
    [
      28,
      "Invalid request for \"catalog:search\": query: unrecognized key: \"bogus\"; offset: is too small; give a number of at least 0; limit: is too large; give a number of at most 1000"
    ],
    [
      29,
      "Invalid request for \"catalog:search\": query.author: is too long; at most 500 characters"
    ],
    [
      30,
      "Invalid request for \"catalog:ids\": catalogId: is empty; give a value"
    ],
    [
      31,
      "ok"
    ],
    [
      32,
      "Invalid request for \"history:get\": from: is too small; give a number of at least 0; count: is too small; give a number of at least 1"
    ],
    [
      33,
      "Invalid request for \"history:get\": count: is too large; give a number of at most 2000"
    ],
    [
      34,
      "Invalid request for \"lab:run\": strategies: is empty; give at least one"
    ],
    [
      35,
      "Invalid request for \"lab:run\": workerCounts: has too many entries; at most 8; sampleSize: is too large; give a number of at most 2000; repeats: is too large; give a number of at most 9; compareScrubExecutors: must be a boolean"
    ],
    [
      36,
      "ok"
    ],
    [
      37,
      "ok"
    ],
    [
      38,
      "Invalid request for \"lab:run\": input: is not an absolute path; give the full path (e.g. /home/me/fanout); sampleSize: is too small; give a number of at least 1; executors: is empty; give at least one; workerCounts.0: is too large; give a number of at most 64; repeats: is too small; give a number of at least 1"
    ],
    [
      39,
      "ok"
    ],
    [
      40,
      "Invalid request for \"lab:run\": bounds.1: is too small; give a number of at least 1; bounds.2: is too large; give a number of at most 100000"
    ],
    [
      41,
      "Invalid request for \"lab:run\": bounds: is empty; give at least one"
    ],
    [
      42,
      "Invalid request for \"lab:run\": spec.outDir: is not an absolute path; give the full path (e.g. /home/me/fanout); strategies.0: must be one of serial, queue, split, adaptive; connectionCounts.0: is too large; give a number of at most 32"
    ],
    [
      43,
      "ok"
    ],
    [
      44,
      "Invalid request for \"lab:run\": spec.strategy: the stragglers lab needs one request per book: serial, queue or split; timeouts.1: is too small; give a number of at least 100"
    ],
    [
      45,
      "ok"
    ],
    [
      46,
      "Invalid request for \"lab:run\": spec.strategy: the stragglers lab needs one request per book: serial, queue or split"
    ],
    [
      47,
      "Invalid request for \"lab:run\": kind: invalid discriminator value. Expected 'gutenberg' | 'scrub' | 'queue' | 'mail' | 'stragglers'"
    ],
    [
      48,
      "Invalid request for \"lab:run\": (payload): must be a object"
    ],
    [
      49,
      "Invalid request for \"lab:run\": (payload): must be a object"
    ],
    [
      50,
      "Invalid request for \"lab:cancel\": labId: is empty; give a value"
    ],
    [
      51,
      "Invalid request for \"mail:test\": account.auth.password: is empty; give a value"
    ],
    [
      52,
      "ok"
    ],
    [
      53,
      "Invalid request for \"mail:folders\": account.port: is not a whole number; give one"
    ],
    [
      54,
      "Invalid request for \"secrets:save-mail-password\": host: is empty; give a value; password: is too long; at most 4000 characters"
    ],
    [
      55,
      "Invalid request for \"secrets:forget-mail-password\": user: is missing; give a value"
    ],
    [
      56,
      "Invalid request for \"secrets:load-mail-password\": (payload): unrecognized key: \"extra\""
    ],
    [
      57,
      "Invalid request for \"dialog:pick-folder\": title: must be a string"
    ],
    [
      58,
      "ok"
    ],
    [
      59,
      "ok"
    ],
    [
      60,
      "ok"
    ],
    [
      61,
      "Invalid request for \"verify:run\": jobId: must be a string"
    ],
    [
      62,
      "Invalid request for \"shell:exec\": unknown command"
    ]
  ]
};

const CLIENT = [
  "ok",
  [
    "t: Invalid input: expected \"call\"",
    "id: Too small: expected number to be >=0",
    "cmd: Too small: expected string to have >=1 characters",
    "arg: Invalid input: expected nonoptional, received undefined",
    "(message): Unrecognized key: \"extra\""
  ],
  [
    "(message): Invalid input: expected object, received null"
  ],
  [
    "id: Invalid input: expected int, received number",
    "cmd: Too big: expected string to have <=64 characters",
    "arg: Invalid input: expected nonoptional, received undefined"
  ]
];

describe('the schemas\' messages, word for word', () => {
  it('the CLI\'s lines for a Gutenberg job spec', () => {
    expect(specCases.filter(([n]) => n.startsWith('gutenberg')).map(([n, x]) => [n, lines(parseWithProblems(GutenbergJobSpecSchema, x))])).toEqual(EXPECTED.gutenberg);
  });
  it('the CLI\'s lines for a mail job spec and a mail account', () => {
    expect(specCases.filter(([n]) => n.startsWith('mail')).map(([n, x]) => [n, lines(parseWithProblems(MailJobSpecSchema, x))])).toEqual(EXPECTED.mail);
    expect(accountCases.map(([n, x]) => [n, lines(parseWithProblems(MailAccountSchema, x))])).toEqual(EXPECTED.account);
  });
  it('every IPC command\'s BAD_INPUT message', () => {
    expect(ipcCases.map(([c, p], i) => [i, command(c, p)])).toEqual(EXPECTED.ipc);
  });
  it('the web host\'s message check, in zod\'s own words', () => {
    const issues = (m: unknown) => {
      const r = ClientMessageSchema.safeParse(m);
      return r.success ? 'ok' : r.error.issues.map((i) => `${i.path.join('.') || '(message)'}: ${i.message}`);
    };
    expect([{ t: 'call', id: 1, cmd: 'x', arg: 1 }, { t: 'x', id: -1, cmd: '', extra: 1 }, null, { t: 'call', id: 1.5, cmd: 'x'.repeat(65) }].map(issues)).toEqual(CLIENT);
  });
  it('a parse that throws says why (the engine\'s own parse of a spec)', () => {
    expect(() => MailJobSpecSchema.parse({ ...M, account: { ...A, proxy: 'ftp://x:1' } })).toThrow(/not supported for mail/);
    expect(() => MailJobSpecSchema.parse({ ...M, connections: 0 })).toThrow(/Too small: expected number to be >=1/);
  });
});
