import { existsSync, readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { decodeGutenbergBytes } from '../../../electron/engine/scrub/decode-bytes';
import { scrubBook } from '../../../electron/engine/scrub/scrub-book';

const repoRoot = fileURLToPath(new URL('../../..', import.meta.url));
// The corpus is shared between checkouts and never copied into the repository.
const corpusDir = process.env.FANOUT_CORPUS ?? path.resolve(repoRoot, '..', 'shared', 'corpus', 'gutenberg');
const haveCorpus = existsSync(corpusDir);

/**
 * Written by reading each file: the first line of the book after the header, producer credits and
 * HTML-version notes, and its last line before the footer. Indentation is part of the line.
 * alice30.txt really has no footer marker (and a stray "3" after THE END).
 */
const EXPECTED: Array<{ file: string; firstLine: string; lastLine: string; endMarker?: false }> = [
  { file: "10026.txt", firstLine: "THE MIRROR OF LITERATURE, AMUSEMENT, AND INSTRUCTION.", lastLine: "and sold by all Newsmen and Booksellers._" },
  { file: "10028.txt", firstLine: "SPALDING'S OFFICIAL ATHLETIC LIBRARY", lastLine: "Simon, Pittsburgh      42  113   10  34   38   2   1  --  --   1 .301" },
  { file: "10076.txt", firstLine: "LISTER'S GREAT ADVENTURE", lastLine: "mean to stay!\"" },
  { file: "10089.txt", firstLine: "Editorial note: Many paragraphs in the original text ended without", lastLine: "dreads to meet Finn, and is in constant fear of discovery." },
  { file: "1013.txt", firstLine: "THE FIRST MEN IN THE MOON", lastLine: "that has no end...." },
  { file: "10509.txt", firstLine: "The Bars of Iron", lastLine: "And, \"We are comfy,\" said Piers, with a smile." },
  { file: "14263-8.txt", firstLine: "[Illustration: \"I HAVE WAITED ALL THESE YEARS\"]", lastLine: "THE END" },
  { file: "2160-0.txt", firstLine: "THE EXPEDITION OF HUMPHRY CLINKER", lastLine: "FINIS." },
  { file: "21937-8.txt", firstLine: "Transcriber's note:", lastLine: "  _punctuation unchanged_" },
  { file: "21937.txt", firstLine: "Transcriber's note:", lastLine: "  _punctuation unchanged_" },
  { file: "24675-8.txt", firstLine: "ELK DEEL IS AFZONDERLIJK VERKRIJGBAAR", lastLine: "book." },
  { file: "2591-0.txt", firstLine: "Grimms’ Fairy Tales", lastLine: "since." },
  { file: "2701.txt", firstLine: "MOBY DICK; OR THE WHALE", lastLine: "orphan." },
  { file: "31894-0.txt", firstLine: "[This e-text includes characters that require UTF-8 (Unicode) file", lastLine: "  Tē nōn pigēbit coniugem  [non]" },
  { file: "31894-8.txt", firstLine: "[This text is intended for users whose text readers cannot use the", lastLine: "  Tê nôn pigêbit coniugem  [non]" },
  { file: "35589.txt", firstLine: "THE STORY OF MY LIFE", lastLine: "Lyell=>Lyall" },
  { file: "40815.txt", firstLine: "The Library Series", lastLine: "Otherwise, non-latin-1 diactrics have been removed." },
  { file: "4085-0.txt", firstLine: "The Adventures of Roderick Random", lastLine: "crown my felicity." },
  { file: "44157-0.txt", firstLine: "  Au lecteur.", lastLine: "               vensterbank.)" },
  { file: "44157-8.txt", firstLine: "  Au lecteur.", lastLine: "               vensterbank.)" },
  { file: "8tcng10.txt", firstLine: "THE COMPLETE ANGLER;", lastLine: "FINIS." },
  { file: "9198-8.txt", firstLine: "THE COMPLETE ANGLER;", lastLine: "FINIS." },
  { file: "98-0.txt", firstLine: "A TALE OF TWO CITIES", lastLine: "far, far better rest that I go to than I have ever known.”" },
  { file: "alice30.txt", firstLine: "                ALICE'S ADVENTURES IN WONDERLAND", lastLine: "3", endMarker: false },
  { file: "moby10b.txt", firstLine: "Notes on this etext of Moby Dick:", lastLine: "orphan." },
  { file: "pg11.txt", firstLine: "[Illustration]", lastLine: "THE END" },
  { file: "pg1342.txt", firstLine: "                            [Illustration:", lastLine: "                  TOOKS COURT, CHANCERY LANE, LONDON." },
  { file: "pg19068.txt", firstLine: "HOUSEHOLD STORIES", lastLine: "    --\"Father, let me go for once into the forest to cut wood;[added \"]" },
  { file: "pg2542.txt", firstLine: "A Doll’s House", lastLine: "_[The sound of a door shutting is heard from below.]_" },
  { file: "pg37106.txt", firstLine: "                      [Illustration: LITTLE WOMEN", lastLine: "volumes, generally less than 100 pages, in The Children's Friend Series." },
  { file: "pg46.txt", firstLine: "A CHRISTMAS CAROL", lastLine: "observed, God bless Us, Every One!" },
  { file: "pg5197.txt", firstLine: "My Life, Volume 1", lastLine: "about all that had happened, we left the next day for Zurich." },
  { file: "pg64317.txt", firstLine: "\t\t\t   The Great Gatsby", lastLine: "the past." },
  { file: "pg67979.txt", firstLine: "_The_", lastLine: "THE END" },
];

/** Accented words that only decode right when the encoding was sniffed right (windows-1252 files). */
const ACCENTED: Record<string, string> = {
  '21937-8.txt': 'Bjørn',
  '14263-8.txt': 'Honoré',
  '24675-8.txt': 'Gabriël',
  '31894-8.txt': 'nôn',
  '44157-8.txt': 'était',
  '8tcng10.txt': 'Boötes',
  '9198-8.txt': 'Boötes',
  '31894-0.txt': 'Iōannēs',
  '2591-0.txt': 'Hausmärchen',
};

/** Licence phrases; case-sensitive where prose uses the same words ("produced by the moisture"). */
const LICENCE_PHRASES: RegExp[] = [
  /START OF TH(?:E|IS) PROJECT GUTENBERG/i,
  /END OF TH(?:E|IS) PROJECT GUTENBERG/i,
  /End of (?:this |the )?Project Gutenberg/i,
  /SMALL PRINT!/i,
  /gutenberg\.org\/license/i,
  /Project Gutenberg-tm/i,
  /^Produced by/m,
  /^E-text prepared by/m,
  /also has an HTML version/i,
];

const utf8 = new TextDecoder('utf-8', { fatal: true });

describe.skipIf(!haveCorpus)(`real Gutenberg corpus (${corpusDir})`, () => {
  const files = haveCorpus ? readdirSync(corpusDir).filter((f) => f.endsWith('.txt')).sort() : [];

  it('the expectation table covers every corpus file', () => {
    if (process.env.FANOUT_CORPUS) return; // another corpus: only the generic checks below apply
    expect(files).toEqual(EXPECTED.map((e) => e.file).sort());
  });

  it.each(files)('%s: licence gone, book whole, UTF-8 + LF', (file) => {
    const raw = readFileSync(path.join(corpusDir, file));
    const r = scrubBook(raw);
    const text = utf8.decode(r.clean);
    expect(r.startMarker).toBe(true);
    expect(text.length).toBeGreaterThan(raw.length / 2);
    expect(text).not.toContain('\r');
    expect(text.charCodeAt(0)).not.toBe(0xfeff);
    expect(text.endsWith('\n') && !text.endsWith('\n\n')).toBe(true);
    for (const phrase of LICENCE_PHRASES) expect(text, `${file} still matches ${phrase}`).not.toMatch(phrase);

    const expected = EXPECTED.find((e) => e.file === file);
    if (expected !== undefined) {
      const lines = text.split('\n');
      expect(lines[0]).toBe(expected.firstLine);
      expect(lines[lines.length - 2]).toBe(expected.lastLine);
      expect(r.endMarker).toBe(expected.endMarker ?? true);
    }
    const word = ACCENTED[file];
    if (word !== undefined) expect(text).toContain(word);
  });

  it('21937.txt is named like ASCII but is Latin-1, and decodes as such', () => {
    const file = path.join(corpusDir, '21937.txt');
    if (!existsSync(file)) return;
    const decoded = decodeGutenbergBytes(readFileSync(file));
    expect(decoded.encoding).toBe('windows-1252');
    expect(decoded.text).toContain('Author: Jóhann Sigurjónsson');
    expect(decoded.text).not.toContain('\uFFFD');
  });

  it('UTF-8 files are read as UTF-8, BOM or not', () => {
    for (const file of files.filter((f) => f.endsWith('-0.txt') || f.startsWith('pg'))) {
      const decoded = decodeGutenbergBytes(readFileSync(path.join(corpusDir, file)));
      expect(decoded.encoding, file).toBe('utf-8');
    }
  });
});
