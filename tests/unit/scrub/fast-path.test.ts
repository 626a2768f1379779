import { createHash } from 'node:crypto';
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { END_MARKER_RE, START_MARKER_RE } from '../../../electron/engine/scrub/boilerplate-markers';
import { normalizeNewlinesInPlace } from '../../../electron/engine/scrub/newlines';
import { scrubBookReference, scrubBookTraced, type ScrubPath } from '../../../electron/engine/scrub/scrub-book';
import type { ScrubResult } from '../../../electron/engine/scrub/scrub-types';
import { decodeWindows1252, windows1252ToUtf8 } from '../../../electron/engine/scrub/windows-1252';

const repoRoot = fileURLToPath(new URL('../../..', import.meta.url));
const fixturesDir = path.join(repoRoot, 'tests', 'fixtures', 'scrub');
const corpusDir = process.env.FANOUT_CORPUS ?? path.resolve(repoRoot, '..', 'shared', 'corpus', 'gutenberg');
const haveCorpus = existsSync(corpusDir);
const txt = (dir: string) => readdirSync(dir).filter((f) => f.endsWith('.txt')).sort();
const sha256 = (b: Uint8Array) => createHash('sha256').update(b).digest('hex');

/**
 * sha256 of every file's clean output as the scrubber produced it before the byte-level fast
 * path existed (decode → strip → encode, commit 3d44803). Pins both paths: the equivalence test
 * below would not notice the reference itself drifting.
 */
const GOLDEN: Record<string, string> = {
  '10026.txt': 'ac6c6cbad6f604dbce61204bf76bf2793598b40dfd5f21468951531bbe18230b',
  '10028.txt': '82384b6e4b3f5d7be503bb64470017e462e384766b078b059e6a5f54c58cc7d9',
  '10076.txt': '0efc628f898915a4c3acd8c46e623869319e63449cd3eabc2a0d1146407883d4',
  '10089.txt': 'ed9f6be102313142ca53575b18945a4934aa1ff3ae9f2f67ad09f67f8e4be32c',
  '1013.txt': '9eb4d19e61fe7549cb2c59c9707b6a0222504761f0a6cfa6418c48f7259c3a54',
  '10509.txt': '568fd394aec5b55647c58126d059b84066e1adb36ecf8b1ffbb1f9acebee0f66',
  '14263-8.txt': '8a02e173f30ec18272b4b89d1a14ed05e7508355f4f02db02e5a0eb3d444f170',
  '2160-0.txt': '9e5a6d58840a7c64cd88b2e3ed2fad70d474723765fa039a3e04d85f3333dc09',
  '21937-8.txt': '4045fcc634efc1f878323e05abd2eae1c77808afb84ef8ff17cba846e54f69c4',
  '21937.txt': '552a67c59e2b97dccbebda9603d18d0ba8aad706de7f263e728aa645766f9739',
  '24675-8.txt': 'abba05838de39b036d6fa46e0c749e42c23f792354e74209d9d216586b55f17f',
  '2591-0.txt': '7a46bd703893bdc54e79be63e9a69fe63d793781ce534e425103e0447603abc4',
  '2701.txt': '671a8914dfe36f932c8cec06c4d45b9d5eeeaedcd60fd18c5c6eedb6b05449e6',
  '31894-0.txt': '49798ee59d674cac33df26aa31ec14762387d8fea1f975310eb73dd52d386931',
  '31894-8.txt': '363e3e507617e5438c4868751f074b085f1fec8ce94a20b36ed3833344231a60',
  '35589.txt': '67715799cc89d91fbfb2f339d16086c9033cd49fba59137b84b045e387fca46c',
  '40815.txt': 'a6e38defe0a71c2164c23631bca08f2fe893a1c00d35d2341a7851bdfa3d0e5f',
  '4085-0.txt': '65b7c63bc27e1a565148259158fb5b562369aed35b3a55e9d8bc036fd4d4b8c9',
  '44157-0.txt': '2eb897dbe05cb64f74ef1cd1cb59884fa1d429dd31ebe96ee51ef5a0a11151d5',
  '44157-8.txt': '5a2ebf930ea888ad17c59f620507d553c7adf4e4a0c36587e6301761518ea54b',
  '8tcng10.txt': '666d79154e64fc81442028c1a6fe594cc09f6fb5730004291b13d05f57b77055',
  '9198-8.txt': '2282ab5ae0488a575ec8ec40a955060a925d36e2ed45b85c7e274a5417c86700',
  '98-0.txt': 'd614b101548dd9271afa7f63f0899640cf0b91ccf3daae0ac46e5bf09d62105c',
  'alice30.txt': '558ac7323ece42189f87cfbe9a83a533dbb811e95f37b64905aedb3797938034',
  'moby10b.txt': '37343a72f559c41c53b08015263038cb426607b14fa70e4493bdbe83004fdd96',
  'pg11.txt': 'ef0b94ea13d20365b30402556e070a3e4f8064079e0b005bf7b3d562d74394ea',
  'pg1342.txt': '1608b2bb0a48e7aac0bd5426d8e08680a65979d819bed3f07527919893926296',
  'pg19068.txt': '6feab57ab91864bcc875c63ed1905bdc2ace5278d09b7345d65aceadfbf294c7',
  'pg2542.txt': '0f3422033948923aafed2eedeaac02e4c73ee69d4007188837bc42e134a6c773',
  'pg37106.txt': '74687f8e09713f7b518f1438bf2f5478aafce3fb004f52729056ff9a6e7464a8',
  'pg46.txt': '9a17e3fa751c44022b9f9b282ca3551780b6c7385aea8ac162a59d773de2e3cd',
  'pg5197.txt': '3e62aa28d6ff0a23b94bb7f54d21070726b97eabcf2590fed5c28db6472ad38c',
  'pg64317.txt': 'cb4a9dcfd27ac8201e991386ef2944c5d565b4e7f2fd2028789af501aba43469',
  'pg67979.txt': '14ffe3a8107d64f8aaf011f10fbeb02a91c37ac3e34d54d9d37436e3f8c14e6d',
  // fixtures (the nine BOOK_A ones share one output)
  'end-of-pgs-only.txt': 'a2dc7f375028c8a5fcc5fe976c1ab7ff6a2c7ea56b25cc73e6e58a1181de4311',
  'lone-cr.txt': 'a2dc7f375028c8a5fcc5fe976c1ab7ff6a2c7ea56b25cc73e6e58a1181de4311',
  'markers-only.txt': 'c203decd12a0bf1665cc27d4c87a263a2c51c3d1356c8ce214c0792fd4b34965',
  'modern-bom-crlf.txt': '8441c9331b37c08d461187c2b4d043dbf9dbf61529ebeeba64c1036086fbcf06',
  'no-markers.txt': '631858ec17ff76b4d452457d334ade9a6b9600a6e5f40f09a9d82955a4a60866',
  'nospace-2004-crlf.txt': 'a2dc7f375028c8a5fcc5fe976c1ab7ff6a2c7ea56b25cc73e6e58a1181de4311',
  'odd-case-spacing.txt': 'a2dc7f375028c8a5fcc5fe976c1ab7ff6a2c7ea56b25cc73e6e58a1181de4311',
  'small-print-1990s.txt': 'a2dc7f375028c8a5fcc5fe976c1ab7ff6a2c7ea56b25cc73e6e58a1181de4311',
  'small-print-end-space-crlf.txt': 'a2dc7f375028c8a5fcc5fe976c1ab7ff6a2c7ea56b25cc73e6e58a1181de4311',
  'small-print-ends.txt': 'a2dc7f375028c8a5fcc5fe976c1ab7ff6a2c7ea56b25cc73e6e58a1181de4311',
  'this-2000s-latin1-crlf.txt': '5b4e2e084e07834bf800cbfd53803ad6b6530db816e55a14eff3303b8980f80e',
  'wrapped-phrase-marker.txt': 'a2dc7f375028c8a5fcc5fe976c1ab7ff6a2c7ea56b25cc73e6e58a1181de4311',
  'wrapped-title-marker.txt': 'a2dc7f375028c8a5fcc5fe976c1ab7ff6a2c7ea56b25cc73e6e58a1181de4311',
};

/**
 * Runs the scrubber both ways on `raw` and checks every field and every byte agree, with the
 * input consumed (as workers do) and not (then it must be left untouched). Returns the path taken.
 */
function expectSameAsReference(raw: Uint8Array, label: string): { path: ScrubPath; result: ScrubResult } {
  const reference = scrubBookReference(raw);
  const pristine = raw.slice();
  const kept = scrubBookTraced(raw);
  expect(Buffer.from(raw).equals(Buffer.from(pristine)), `${label}: input untouched`).toBe(true);
  const consumed = scrubBookTraced(raw.slice(), { consumeInput: true });
  for (const { result } of [kept, consumed]) {
    expect(Buffer.from(result.clean).equals(Buffer.from(reference.clean)), `${label}: same bytes`).toBe(true);
    expect({ ...result, clean: null }, label).toEqual({ ...reference, clean: null });
    expect(result.cleanSha256).toBe(sha256(result.clean));
  }
  expect(consumed.path, label).toBe(kept.path);
  return kept;
}

describe('byte-level fast path = reference path', () => {
  it.each(txt(fixturesDir))('fixture %s', (file) => {
    const raw = new Uint8Array(readFileSync(path.join(fixturesDir, file)));
    const { path: taken, result } = expectSameAsReference(raw, file);
    expect(taken).toBe('bytes-whole'); // tiny files: decoded whole, still no string round trip
    expect(result.cleanSha256).toBe(GOLDEN[file]);
  });

  describe.skipIf(!haveCorpus)('real corpus', () => {
    const files = haveCorpus ? txt(corpusDir) : [];
    it.each(files)('%s', (file) => {
      const raw = new Uint8Array(readFileSync(path.join(corpusDir, file)));
      const { path: taken, result } = expectSameAsReference(raw, file);
      // Every real book takes the fast path: a fallback would be a silent slowdown.
      expect(['bytes', 'bytes-whole']).toContain(taken);
      if (GOLDEN[file] !== undefined) expect(result.cleanSha256).toBe(GOLDEN[file]);
    });

    it('long books are located from their windows, not decoded whole', () => {
      const big = files.filter((f) => readFileSync(path.join(corpusDir, f)).length > 400_000);
      expect(big.length).toBeGreaterThan(0);
      for (const f of big) expect(scrubBookTraced(readFileSync(path.join(corpusDir, f))).path, f).toBe('bytes');
    });
  });
});

/** A synthetic long book (so both windows exist) around `body`, with `nl` line endings. */
function longBook(parts: { head?: string; afterStart?: string; body?: string; tail?: string; end?: string; nl?: string }): Uint8Array {
  const nl = parts.nl ?? '\n';
  const filler = Array.from({ length: 3000 }, (_, i) => `Line ${i} of the story, with “quotes” and naïve accents.`).join('\n');
  const text = [
    parts.head ?? 'The Project Gutenberg EBook of X\n\nRelease Date: 2004\n',
    '*** START OF THE PROJECT GUTENBERG EBOOK X ***',
    parts.afterStart ?? '\nProduced by Someone\n\n\n',
    parts.body ?? filler,
    parts.tail ?? '\nTHE END\n\n',
    parts.end ?? '*** END OF THE PROJECT GUTENBERG EBOOK X ***\n\nLicence text.\n',
  ].join('\n');
  return new TextEncoder().encode(nl === '\n' ? text : text.replaceAll('\n', nl));
}

describe('fast path edge cases, each checked against the reference', () => {
  const lines = (n: number, s = '') => Array.from({ length: n }, (_, i) => `${s}${i}`).join('\n');
  const cases: Array<{ name: string; bytes: Uint8Array; path?: ScrubPath }> = [
    { name: 'long LF book', bytes: longBook({}), path: 'bytes' },
    { name: 'long CRLF book', bytes: longBook({ nl: '\r\n' }), path: 'bytes' },
    { name: 'long lone-CR book', bytes: longBook({ nl: '\r' }), path: 'bytes' },
    { name: 'CRLF with stray lone CRs', bytes: new TextEncoder().encode(new TextDecoder().decode(longBook({ nl: '\r\n' })).replace(/\r\n(?=Line 1)/g, '\r')), path: 'bytes' },
    { name: 'BOM + CRLF', bytes: Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), longBook({ nl: '\r\n' })]), path: 'bytes' },
    { name: 'two BOMs (reference path)', bytes: Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf, 0xef, 0xbb, 0xbf]), longBook({})]), path: 'reference' },
    { name: 'broken UTF-8 after a BOM (reference path)', bytes: Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), longBook({}), Buffer.from([0xff])]), path: 'reference' },
    { name: 'windows-1252, long', bytes: Buffer.from(new TextDecoder().decode(longBook({ nl: '\r\n' })).replace(/[“”]/g, '"').replaceAll('‘', "'"), 'latin1'), path: 'bytes' },
    { name: 'windows-1252 with every high byte', bytes: Buffer.concat([Buffer.from(longBook({ body: lines(3000, 'x') })), Buffer.from(Array.from({ length: 128 }, (_, i) => 0x80 + i))]) },
    { name: 'start marker near line 1000, credits after it', bytes: longBook({ head: lines(995, 'header ') + '\n' }), path: 'bytes' },
    {
      name: 'start marker on line 1000, wrapped over two more lines',
      bytes: new TextEncoder().encode(lines(999, 'h') + '\n***START OF THE PROJECT GUTENBERG EBOOK A VERY\nLONG TITLE THAT\nWRAPS***\n\n' + lines(3000, 'body ') + '\n*** END OF THE PROJECT GUTENBERG EBOOK X ***\n'),
      path: 'bytes',
    },
    { name: 'start marker past line 1000 (not found)', bytes: longBook({ head: lines(1100, 'header ') + '\n' }), path: 'bytes' },
    { name: 'credits running past the head window (text path)', bytes: longBook({ head: lines(990, 'h') + '\n', afterStart: '\nProduced by\n' + lines(400, 'credit ') + '\n' }), path: 'text' },
    { name: 'blank lines running past the head window (text path)', bytes: longBook({ afterStart: '\n'.repeat(1500) }), path: 'text' },
    { name: 'no start marker, blank lines past the head window (text path)', bytes: new TextEncoder().encode('\n'.repeat(1500) + lines(3000, 'body ') + '\n'), path: 'text' },
    { name: 'four credit paragraphs', bytes: longBook({ afterStart: '\nProduced by A\n\nE-text prepared by B\n\nTranscribed from the 1890 edition\n\nProject Gutenberg also has an HTML version\n\n' }), path: 'bytes' },
    { name: 'no end marker', bytes: longBook({ end: 'Licence-free ending.\n' }), path: 'bytes' },
    { name: 'no trailing newline', bytes: longBook({ end: '', tail: '\nTHE END' }), path: 'bytes' },
    { name: 'tail window all whitespace (text path)', bytes: longBook({ tail: '\n' + ' \n'.repeat(1200), end: '*** END OF THE PROJECT GUTENBERG EBOOK X ***\n' }), path: 'text' },
    { name: 'Unicode whitespace before the footer (trimEnd)', bytes: longBook({ tail: '\nTHE END\u00a0\u3000\u2009\u205f\n\t\n' }), path: 'bytes' },
    { name: 'Unicode whitespace with U+2028 before the footer (text path)', bytes: longBook({ tail: '\nTHE END\u00a0\u3000\u2028\n\t\n' }), path: 'text' },
    { name: 'U+FEFF at the start of the tail window', bytes: longBook({ tail: '\n\ufeffTHE END\n' + lines(1100, '\ufeff') + '\n' }), path: 'bytes' },
    { name: 'U+FEFF at the end of the body', bytes: longBook({ tail: '\nTHE END\ufeff\n' }), path: 'bytes' },
    // The windows are byte strings (one char per byte): bytes 0xA0 and 0x85 are whitespace there, but in UTF-8 only inside U+00A0 / U+0085.
    { name: 'body ending in "à" (C3 A0) before the footer', bytes: longBook({ tail: '\nTHE END, voilà\n' }), path: 'bytes' },
    { name: 'body ending in "Å" (C3 85) and U+0085 before the footer', bytes: longBook({ tail: '\nTHE END, Å\u0085\n' }), path: 'bytes' },
    { name: 'short book ending in "à"', bytes: new TextEncoder().encode('*** START OF THE PROJECT GUTENBERG EBOOK X ***\nVoilà\n\n*** END OF THE PROJECT GUTENBERG EBOOK X ***\n'), path: 'bytes-whole' },
    { name: 'short book ending in U+00A0 U+3000', bytes: new TextEncoder().encode('*** START OF THE PROJECT GUTENBERG EBOOK X ***\nVoilà\u00a0\u3000\n*** END OF THE PROJECT GUTENBERG EBOOK X ***\n'), path: 'bytes-whole' },
    // `^` of the marker regexes also matches after U+2028 / U+2029; the fast path's lines end at LF only.
    { name: 'footer marker after a U+2028 on its line (text path)', bytes: longBook({ tail: '\nTHE END\u2028*** END OF THE PROJECT GUTENBERG EBOOK X ***\n' }), path: 'text' },
    { name: 'start marker after a U+2029 on its line (text path)', bytes: longBook({ head: 'The Project Gutenberg EBook of X\u2029*** START OF THE PROJECT GUTENBERG EBOOK Y ***\n\nIntro\n' }), path: 'text' },
    { name: 'short book, footer marker after a U+2028 (text path)', bytes: new TextEncoder().encode('*** START OF THE PROJECT GUTENBERG EBOOK X ***\nText\u2028*** END OF THE PROJECT GUTENBERG EBOOK X ***\nLicence\n'), path: 'text' },
    {
      name: 'unclosed start marker, then a U+00A0-only line (blank: the marker does not wrap), then a closing line',
      bytes: new TextEncoder().encode('header\n***START OF THE PROJECT GUTENBERG EBOOK A LONG\n\u00a0\nTITLE***\n\n' + lines(3000, 'body ') + '\n*** END OF THE PROJECT GUTENBERG EBOOK X ***\n'),
      path: 'bytes',
    },
    {
      name: 'unclosed start marker, then a line of "à" (not blank), then a closing line',
      bytes: new TextEncoder().encode('header\n***START OF THE PROJECT GUTENBERG EBOOK A LONG\nà\nTITLE***\n\n' + lines(3000, 'body ') + '\n*** END OF THE PROJECT GUTENBERG EBOOK X ***\n'),
      path: 'bytes',
    },
    { name: 'footer marker in the head (2005 style, small print at the bottom)', bytes: longBook({ end: "*** END OF THE PROJECT GUTENBERG EBOOK X ***\n\n*END*THE SMALL PRINT! FOR PUBLIC DOMAIN EBOOKS*Ver.02/11/02*END*\n" }), path: 'bytes' },
    { name: 'wrapped start marker', bytes: new TextEncoder().encode('header\n***START OF THE PROJECT GUTENBERG EBOOK A LONG\nTITLE***\n\n' + lines(3000, 'body ') + '\n*** END OF THE PROJECT GUTENBERG EBOOK X ***\n'), path: 'bytes' },
    { name: 'empty file', bytes: new Uint8Array(0), path: 'bytes-whole' },
    { name: 'only a BOM', bytes: Uint8Array.from([0xef, 0xbb, 0xbf]), path: 'bytes-whole' },
    { name: 'only whitespace', bytes: new TextEncoder().encode(' \r\n\t\r\n  '), path: 'bytes-whole' },
    { name: 'markers around nothing, long', bytes: new TextEncoder().encode(lines(1500, 'h') + '\n*** START OF THE PROJECT GUTENBERG EBOOK X ***\n\n\n*** END OF THE PROJECT GUTENBERG EBOOK X ***\n' + lines(1500, 'f')) },
    { name: 'short book, 4-byte characters', bytes: new TextEncoder().encode('*** START OF THE PROJECT GUTENBERG EBOOK X ***\n𝔊𝔯𝔦𝔪𝔪 😀\n\n*** END OF THE PROJECT GUTENBERG EBOOK X ***\n') },
  ];

  it.each(cases)('$name', ({ name, bytes, path: expectedPath }) => {
    const { path: taken } = expectSameAsReference(bytes, name);
    if (expectedPath !== undefined) expect(taken).toBe(expectedPath);
  });

  it('leaves a Buffer input untouched (Buffer#slice is a view, not a copy)', () => {
    for (const nl of ['\r\n', '\r']) {
      const raw = Buffer.from(longBook({ nl }));
      const pristine = Buffer.from(raw);
      const reference = scrubBookReference(pristine);
      const { result } = scrubBookTraced(raw);
      expect(raw.equals(pristine), JSON.stringify(nl)).toBe(true);
      expect(result.cleanSha256).toBe(reference.cleanSha256);
    }
  });

  it('agrees on the corpus books cut at many places (no markers, one marker, odd line counts)', () => {
    if (!haveCorpus) return;
    const books = ['pg1342.txt', '2701.txt', '24675-8.txt', '98-0.txt'].filter((f) => existsSync(path.join(corpusDir, f)));
    for (const f of books) {
      const raw = readFileSync(path.join(corpusDir, f));
      for (const frac of [0.01, 0.05, 0.2, 0.5, 0.97, 0.995]) {
        // Cut on an ASCII byte so a UTF-8 book stays valid (else it is windows-1252: also fine).
        const at = raw.indexOf(0x20, Math.floor(raw.length * frac));
        expectSameAsReference(new Uint8Array(raw.subarray(0, at)), `${f} head ${frac}`);
        expectSameAsReference(new Uint8Array(raw.subarray(at)), `${f} tail ${frac}`);
      }
    }
  });
});

describe('byte helpers', () => {
  it('normalizeNewlinesInPlace: CRLF and lone CR become LF, from an offset, in place', () => {
    const b = Buffer.from('ab\r\ncd\re\r\r\nf\r');
    const end = normalizeNewlinesInPlace(b, 0, b.length);
    expect(b.subarray(0, end).toString()).toBe('ab\ncd\ne\n\nf\n');
    const c = Buffer.from('\r\r\nx\r\n');
    expect(c.subarray(1, normalizeNewlinesInPlace(c, 1, c.length)).toString()).toBe('\nx\n');
    const lf = Buffer.from('no carriage returns\n');
    expect(normalizeNewlinesInPlace(lf, 0, lf.length)).toBe(lf.length);
  });

  it('windows1252ToUtf8 is TextEncoder(decodeWindows1252(...)) for every byte, in every block layout', () => {
    const all = Uint8Array.from({ length: 256 }, (_, i) => i);
    // Accents on every line (the native Latin-1 path), and the same with one windows-1252 quote (0x93: the table).
    const dense = Buffer.from(Array.from({ length: 400 }, (_, i) => `Line ${i}: Zoë and Björn ate crème brûlée à Paris.\r\n`).join(''), 'latin1');
    const denseC1 = Buffer.concat([dense, Buffer.from([0x93, 0x41, 0x94])]);
    const layouts = [all, Buffer.concat([Buffer.alloc(300, 0x41), all, Buffer.alloc(9000, 0x42), all.subarray(128)]), Buffer.alloc(20000, 0x43), dense, denseC1, Buffer.concat([dense, all.subarray(0xa0)])];
    for (const bytes of layouts) {
      const want = Buffer.from(new TextEncoder().encode(decodeWindows1252(bytes)));
      const got = windows1252ToUtf8(bytes);
      expect(Buffer.from(got).equals(want)).toBe(true);
      expect(got.byteOffset === 0 && got.byteLength === got.buffer.byteLength).toBe(true);
      // Into the caller's buffer (a scrub thread's kept one): a view of its first bytes, whatever it held before.
      const given: Buffer[] = [];
      const into = windows1252ToUtf8(bytes, (size) => {
        const b = Buffer.alloc(size + 100, 0xc2); // stale bytes that would read as a C1 lead
        given.push(b);
        return b;
      });
      expect(Buffer.from(into).equals(want)).toBe(true);
      expect(into.buffer).toBe(given.at(-1)!.buffer);
    }
  });
});

describe("what marker-lines.ts's line test relies on", () => {
  it('every marker alternative starts at a line start with spaces, tabs and stars, then END / START, a star, or ends its line with a star', () => {
    const lead = String.raw`^[ \t]*\**[ \t]*`;
    const alternatives = START_MARKER_RE.source.split('|^');
    expect(alternatives).toHaveLength(3);
    expect(alternatives[0]!.startsWith(`${lead}START`)).toBe(true);
    expect(alternatives[1]!.startsWith(String.raw`[ \t]*\*+`)).toBe(true);
    expect(alternatives[2]!.endsWith(String.raw`\*ENDS?\*[ \t]*$`)).toBe(true);
    expect(alternatives[2]!.includes(String.raw`[^\n]*\*ENDS?`)).toBe(true); // nothing but the line before its closing star
    expect(END_MARKER_RE.source.startsWith(`${lead}END`)).toBe(true);
    expect(END_MARKER_RE.source.split('|^')).toHaveLength(1); // one alternative
    for (const re of [START_MARKER_RE, END_MARKER_RE]) expect(re.flags).toBe('gim'); // no `u`: only ASCII letters match ASCII letters
  });
});
