import { createHash } from 'node:crypto';
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { buildZip, type ZipEntryInput } from './zip-writer';
import { seededRandom as mulberry32 } from './seeded-random';

/**
 * A file form a book can have on a mirror:
 * - `'-0.txt'` UTF-8, `'-8.txt'` Latin-1, `'.txt'` ASCII-ish (Latin-1 bytes when `plainTxtLatin1`),
 * - `'-0.zip'` / `'-8.zip'` / `'.zip'`: a zip holding the matching `.txt`,
 * - `'cache'`: `cache/epub/N/pgN.txt` (UTF-8), which only HTTP mirrors serve in practice.
 */
export type MirrorFileForm = '-0.txt' | '-8.txt' | '.txt' | '-0.zip' | '-8.zip' | '.zip' | 'cache';

export interface MirrorBookSpec {
  ebook: number;
  /** Forms present; `[]` = the book is missing entirely (no folder). */
  files: MirrorFileForm[];
  /** Default `Synthetic Book N`. */
  title?: string;
  author?: string;
  /** Approximate size of the text in bytes (default 20,000). */
  sizeBytes?: number;
  /** `N.txt` holds Latin-1 bytes (accented letters), as some real `N.txt` files do. Default false (pure ASCII). */
  plainTxtLatin1?: boolean;
  /** Extra entries put in front of the text inside every zip of this book (hostile names for tests). */
  extraZipEntries?: ZipEntryInput[];
}

export interface GeneratedFile {
  /** Path relative to the mirror root, `/`-separated, e.g. `4/1/418/418-0.zip`. */
  relPath: string;
  form: MirrorFileForm;
  /** Bytes of the file on the mirror. */
  bytes: number;
  sha256: string;
  /** The text a client should end up with (for zips: the text inside). */
  text: Buffer;
  /** sha256 of `text`. */
  textSha256: string;
}

export interface GeneratedBook {
  ebook: number;
  title: string;
  /** The book's folder relative to the root, e.g. `4/1/418` (no trailing slash). */
  dir: string;
  files: GeneratedFile[];
}

export interface GeneratedMirror {
  root: string;
  books: Map<number, GeneratedBook>;
  /** Sum of the bytes written. */
  totalBytes: number;
}

/** Gutenberg's folder of ebook N: 5 → `0/5`, 418 → `4/1/418`, 12345 → `1/2/3/4/12345`. */
export function gutenbergDir(ebook: number): string {
  const s = String(ebook);
  if (s.length === 1) return `0/${s}`;
  return [...s.slice(0, -1).split(''), s].join('/');
}

/**
 * Writes a Gutenberg-layout mirror under `dir` (created if needed). Deterministic: the same specs
 * give the same bytes. Returns what was written, with the expected text and checksums per file.
 */
export async function generateMirror(dir: string, books: MirrorBookSpec[]): Promise<GeneratedMirror> {
  const root = path.resolve(dir);
  await mkdir(root, { recursive: true, mode: 0o755 });
  const out = new Map<number, GeneratedBook>();
  let totalBytes = 0;
  for (const spec of books) {
    const title = spec.title ?? `Synthetic Book ${spec.ebook}`;
    const bookDir = gutenbergDir(spec.ebook);
    const book: GeneratedBook = { ebook: spec.ebook, title, dir: bookDir, files: [] };
    out.set(spec.ebook, book);
    if (spec.files.length === 0) continue;
    const text = bookText({ ...spec, title });
    for (const form of spec.files) {
      const n = spec.ebook;
      let rel: string;
      let content: Buffer;
      let inner: Buffer;
      const encode = (f: '-0' | '-8' | ''): Buffer =>
        f === '-0' ? Buffer.from(text, 'utf8') : f === '-8' || spec.plainTxtLatin1 ? Buffer.from(text, 'latin1') : Buffer.from(asciiFold(text), 'latin1');
      if (form === 'cache') {
        rel = `cache/epub/${n}/pg${n}.txt`;
        inner = content = encode('-0');
      } else {
        const suffix = form.slice(0, form.lastIndexOf('.')) as '-0' | '-8' | '';
        inner = encode(suffix);
        if (form.endsWith('.zip')) {
          rel = `${bookDir}/${n}${suffix}.zip`;
          content = buildZip([...(spec.extraZipEntries ?? []), { name: `${n}${suffix}.txt`, data: inner }]);
        } else {
          rel = `${bookDir}/${n}${suffix}.txt`;
          content = inner;
        }
      }
      const abs = path.join(root, ...rel.split('/'));
      await mkdir(path.dirname(abs), { recursive: true, mode: 0o755 });
      await writeFile(abs, content, { mode: 0o644 });
      totalBytes += content.length;
      book.files.push({ relPath: rel, form, bytes: content.length, sha256: sha256(content), text: inner, textSha256: sha256(inner) });
    }
  }
  return { root, books: out, totalBytes };
}

/**
 * Specs for a benchmark-like mirror: `count` books from `firstEbook`, sizes log-normal around
 * `medianBytes`, forms mixed like real mirrors (most have `-0.txt`, some only `-8`, `.txt` or a
 * zip, ~2% missing). Deterministic for a given seed.
 */
export function makeBookSpecs(opts: { count: number; medianBytes?: number; firstEbook?: number; seed?: number }): MirrorBookSpec[] {
  const rand = mulberry32(opts.seed ?? 42);
  const median = opts.medianBytes ?? 300_000;
  const first = opts.firstEbook ?? 1000;
  const specs: MirrorBookSpec[] = [];
  for (let i = 0; i < opts.count; i++) {
    const r = rand();
    // Box-Muller for a normal deviate; sigma 0.6 in log space.
    const z = Math.sqrt(-2 * Math.log(rand() || 1e-9)) * Math.cos(2 * Math.PI * rand());
    const sizeBytes = Math.max(2_000, Math.round(median * Math.exp(0.6 * z)));
    let files: MirrorFileForm[];
    if (r < 0.6) files = ['-0.txt', '-0.zip', '-8.txt', '.txt'];
    else if (r < 0.75) files = ['-8.txt', '-8.zip', '.txt'];
    else if (r < 0.88) files = ['.txt', '.zip'];
    else if (r < 0.93) files = ['-0.zip'];
    else if (r < 0.98) files = ['-0.txt', 'cache'];
    else files = [];
    specs.push({ ebook: first + i, files, sizeBytes, plainTxtLatin1: r < 0.8 && rand() < 0.3 });
  }
  return specs;
}

const WORDS = (
  'the of and to a in that was he it his her with as had for she not but at on be by which you all ' +
  'this have from they were my so one said we him me no would there when their an or been what if ' +
  'some could more into then them very time little now about upon only who other man any did do ' +
  'café naïve façade rôle señor déjà über Müller Ærø garçon fiancée élan soirée crème Zoë Björn'
).split(' ');

/**
 * A deterministic synthetic Gutenberg text with the real header/footer markers. Characters stay
 * inside Latin-1 so the `-0` (UTF-8) and `-8` (Latin-1) forms hold the same text. CRLF line ends.
 */
export function bookText(spec: { ebook: number; title?: string; author?: string; sizeBytes?: number }): string {
  const title = spec.title ?? `Synthetic Book ${spec.ebook}`;
  const author = spec.author ?? 'Anonymous Author';
  const target = spec.sizeBytes ?? 20_000;
  const upper = title.toUpperCase();
  const rand = mulberry32(spec.ebook * 7919 + 17);
  const head = [
    `The Project Gutenberg eBook of ${title}`,
    '',
    'This ebook is for the use of anyone anywhere in the United States and',
    'most other parts of the world at no cost and with almost no restrictions',
    'whatsoever. You may copy it, give it away or re-use it under the terms',
    'of the Project Gutenberg License included with this ebook or online',
    'at www.gutenberg.org.',
    '',
    `Title: ${title}`,
    '',
    `Author: ${author}`,
    '',
    `Release date: January 1, 2000 [eBook #${spec.ebook}]`,
    '',
    'Language: English',
    '',
    `*** START OF THE PROJECT GUTENBERG EBOOK ${upper} ***`,
    '',
    '',
    upper,
    '',
    `by ${author}`,
    '',
  ];
  const foot = [
    '',
    `*** END OF THE PROJECT GUTENBERG EBOOK ${upper} ***`,
    '',
    'Updated editions will replace the previous one--the old editions will',
    'be renamed.',
    '',
  ];
  const lines = [...head];
  let size = lines.reduce((n, l) => n + l.length + 2, 0) + foot.reduce((n, l) => n + l.length + 2, 0);
  let chapter = 0;
  let budget = 10_000_000; // bounded: at most this many words
  while (size < target && budget-- > 0) {
    if (rand() < 0.02 || chapter === 0) {
      chapter++;
      lines.push('', `CHAPTER ${chapter}.`, '');
      size += 16;
    }
    // One paragraph: 3-8 lines of ~70 chars.
    const nLines = 3 + Math.floor(rand() * 6);
    for (let l = 0; l < nLines && size < target; l++) {
      let line = '';
      while (line.length < 64) line += (line ? ' ' : '') + WORDS[Math.floor(rand() * WORDS.length)];
      if (l === 0) line = line[0]!.toUpperCase() + line.slice(1);
      lines.push(l === nLines - 1 ? line + '.' : line);
      size += line.length + 3;
    }
    lines.push('');
    size += 2;
  }
  return [...lines, ...foot].join('\r\n');
}

/** Replaces the few non-ASCII letters of `bookText` by ASCII ones (the plain `N.txt` form). */
function asciiFold(s: string): string {
  return s.normalize('NFD').replace(/[\u0300-\u036f]/g, '').replace(/Æ/g, 'AE').replace(/æ/g, 'ae').replace(/ø/g, 'o').replace(/[^ -~\r\n\t]/g, '?');
}

export function sha256(data: Buffer | string): string {
  return createHash('sha256').update(data).digest('hex');
}
