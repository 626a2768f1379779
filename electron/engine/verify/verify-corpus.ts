import { readdir } from 'node:fs/promises';
import { basename, dirname, join, relative, resolve, sep } from 'node:path';
import { isTempName } from '../output/atomic-file';
import { abortedError } from '../core/fanout-error';
import { MANIFEST_FILE, readManifestChecked, type ManifestDamage } from '../gutenberg/manifest-store';
import { checkFile } from './check-file';
import { emptyReport, finishReport, type VerifyNote, type VerifyOptions, type VerifyReportWithNotes } from './verify-report';
import { parseRawName } from '../gutenberg/raw-folder-scan';
import { isInside } from '../output/safe-path';

async function* walk(dir: string): AsyncGenerator<string> {
  let entries;
  try {
    entries = await readdir(dir, { withFileTypes: true });
  } catch {
    return;
  }
  for (const e of entries) {
    const p = join(dir, e.name);
    if (e.isDirectory()) yield* walk(p);
    else if (e.isFile()) yield p;
  }
}

/** `temp` for what a stopped run leaves (a temp file, a book's partial download or its record in raw/: the re-run removes or resumes it), else `extra`. */
function extraReason(abs: string): 'temp' | 'extra' {
  const name = basename(abs);
  const part = basename(dirname(abs)) === 'raw' ? parseRawName(name) : null;
  return part?.part || isTempName(name) ? 'temp' : 'extra';
}

/**
 * What a file no book records is: a stopped run's partial download or temp file, a file of a book
 * whose line is damaged, or a stray. A partial download is said with what a re-run does with it:
 * of a book done and whole, the re-run removes it (gutenberg/raw-folder-scan.ts, when it finds the
 * book done); of any other book, the download of that book takes it up (resumed only when its
 * `.part.meta` ties it to the mirror's file, else the book is downloaded whole) and it is gone once
 * the book lands.
 */
function extraDetail(abs: string, lost: ReadonlyMap<number, ManifestDamage>, whole: ReadonlySet<number>): string {
  const name = basename(abs);
  // A book's partial download in raw/ (`N-0.txt.part`) or its record (`.part.meta`), named as the re-run's scan names them.
  const part = basename(dirname(abs)) === 'raw' ? parseRawName(name) : null;
  if (part?.part) {
    const what = part.part === '.part.meta' ? 'the record of a partial download' : 'a partial download';
    if (whole.has(part.ebook)) return `recorded by no book of the manifest: ${what} of a stopped run, of a book already done (\`fanout gutenberg\` again over that book removes it)`;
    return `recorded by no book of the manifest: ${what} of a stopped run (\`fanout gutenberg\` again over that book resumes it when it provably is the mirror's file, else downloads the book whole)`;
  }
  // A .part no book's download names (not a raw/ name the mirror code makes): the re-run neither resumes nor removes it.
  if (name.endsWith('.part')) return 'recorded by no book of the manifest: a partial file no book\'s download names (`fanout gutenberg` does not use it; remove it)';
  if (isTempName(name)) return 'recorded by no book of the manifest: a temp file of a stopped run (`fanout gutenberg` again removes it)';
  // raw/1342-0.txt, raw/1342.zip, clean/1342.txt: named by their book.
  const ebook = /^(?:pg)?(\d+)(?:[-_.]|$)/.exec(name);
  const d = ebook ? lost.get(Number(ebook[1])) : undefined;
  if (d) return `recorded by no book of the manifest: ebook ${d.ebook}'s line (${d.line}) ${d.torn ? 'is cut short' : 'is damaged'}`;
  return 'recorded by no book of the manifest';
}

/**
 * The manifest's own lines that are no record: a damaged line is a problem while its book has no
 * later line (its record is lost) or it names none; one whose book a later line records (a re-run
 * did it again) and a torn last line (a killed run; the next run cuts it) are notes.
 */
function reportDamage(
  root: string,
  damage: readonly ManifestDamage[],
  entries: ReadonlyMap<number, unknown>,
  report: VerifyReportWithNotes,
  notes: VerifyNote[],
): Map<number, ManifestDamage> {
  const lost = new Map<number, ManifestDamage>();
  const where = join(root, MANIFEST_FILE);
  for (const d of damage) {
    const book = d.ebook !== null ? ` (ebook ${d.ebook})` : '';
    if (d.torn) {
      notes.push({ where, detail: `line ${d.line}${book} ${d.why}; the next \`fanout gutenberg\` removes it and does the book again` });
    } else if (d.laterLine !== null) {
      notes.push({ where, detail: `line ${d.line}${book} ${d.why}; line ${d.laterLine} records the book again: nothing lost` });
      continue;
    } else if (d.ebook !== null && entries.has(d.ebook)) {
      // The re-run goes by the earlier line too; what the damaged one recorded after it is unknown.
      report.corrupt.push({ where: root, file: MANIFEST_FILE, ebook: d.ebook, reason: 'record', detail: `line ${d.line} ${d.why}: ebook ${d.ebook}'s latest record may be lost; its files were checked against an earlier line` });
      continue;
    } else if (d.ebook !== null) {
      report.corrupt.push({ where: root, file: MANIFEST_FILE, ebook: d.ebook, reason: 'record', detail: `line ${d.line} ${d.why}: ebook ${d.ebook}'s record is lost (no later line records it)` });
    } else {
      report.corrupt.push({ where: root, file: MANIFEST_FILE, reason: 'record', detail: `line ${d.line} ${d.why}: which book it recorded cannot be told` });
    }
    if (d.ebook !== null) lost.set(d.ebook, d);
  }
  return lost;
}

/**
 * Re-hashes every raw and clean file the corpus manifest (`<dir>/manifest.jsonl`, last line of
 * each book) records for a book that succeeded: missing, corrupt (size or SHA-256), and extra
 * files (in the directories the manifest's files live in, recorded by no book); and the
 * manifest's lines that are no record (`reportDamage`).
 */
export async function verifyCorpus(dir: string, opts: VerifyOptions = {}): Promise<VerifyReportWithNotes> {
  const root = resolve(dir);
  const report: VerifyReportWithNotes = emptyReport('corpus');
  const notes: VerifyNote[] = [];
  const read = await readManifestChecked(root);
  const lost = reportDamage(root, read.damage, read.entries, report, notes);
  if (notes.length > 0) report.notes = notes;
  const entries = [...read.entries.values()].filter((e) => e.status === 'ok');
  if (entries.length === 0) {
    report.missing.push({ where: root, file: MANIFEST_FILE, reason: 'missing', detail: 'no manifest, or no book recorded as done in it' });
    return finishReport(report);
  }
  const known = new Set<string>();
  const topDirs = new Set<string>();
  const files: Array<{ ebook: number; rel: string; size: number | null; sha256: string | null }> = [];
  for (const e of entries) {
    for (const [rel, size, sha] of [[e.rawFile, e.rawBytes, e.rawSha256], [e.cleanFile, e.cleanBytes, e.cleanSha256]] as const) {
      if (!rel) continue;
      files.push({ ebook: e.ebook, rel, size, sha256: sha });
      const abs = resolve(root, rel);
      known.add(abs);
      const first = relative(root, abs).split(sep)[0];
      if (first && first !== '..' && relative(root, abs).includes(sep)) topDirs.add(join(root, first));
    }
  }
  let done = 0;
  // Books done whose files are all whole: a re-run finds them done and removes their partial downloads.
  const damaged = new Set<number>();
  for (const f of files) {
    if (opts.signal?.aborted) throw abortedError();
    const abs = resolve(root, f.rel);
    const inside = isInside(root, abs);
    const check = inside ? await checkFile(abs, f.size, f.sha256) : ({ state: 'corrupt', reason: 'record', detail: 'recorded outside the output folder' } as const);
    if (check.state === 'missing') report.missing.push({ where: root, file: f.rel, ebook: f.ebook, reason: 'missing', detail: 'recorded in the manifest, not on disk' });
    else if (check.state === 'corrupt') report.corrupt.push({ where: root, file: f.rel, ebook: f.ebook, reason: check.reason, detail: check.detail });
    if (check.state !== 'ok') damaged.add(f.ebook);
    report.checked.files++;
    opts.onProgress?.({ phase: 'hashing', done: ++done, total: files.length });
  }
  const whole = new Set(entries.map((e) => e.ebook).filter((ebook) => !damaged.has(ebook)));
  for (const d of topDirs) {
    for await (const abs of walk(d)) {
      if (!known.has(abs)) report.extra.push({ where: root, file: relative(root, abs), reason: extraReason(abs), detail: extraDetail(abs, lost, whole) });
    }
  }
  return finishReport(report);
}
