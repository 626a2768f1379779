import { readdir } from 'node:fs/promises';
import { basename, join, relative, resolve, sep } from 'node:path';
import { isTempName } from '../output/atomic-file';
import { abortedError } from '../core/fanout-error';
import { MANIFEST_FILE, readManifest } from '../gutenberg/manifest-store';
import { checkFile } from './check-file';
import { emptyReport, finishReport, type VerifyOptions, type VerifyReport } from './verify-report';

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

/** What a file no book records is: a stopped run's partial download or temp file, or a stray. */
function extraDetail(abs: string): string {
  const name = basename(abs);
  if (name.endsWith('.part')) return 'recorded by no book of the manifest: a partial download of a stopped run (`fanout gutenberg` again resumes it)';
  if (isTempName(name)) return 'recorded by no book of the manifest: a temp file of a stopped run (`fanout gutenberg` again removes it)';
  return 'recorded by no book of the manifest';
}

/**
 * Re-hashes every raw and clean file the corpus manifest (`<dir>/manifest.jsonl`, last line of
 * each book) records for a book that succeeded: missing, corrupt (size or SHA-256), and extra
 * files (in the directories the manifest's files live in, recorded by no book).
 */
export async function verifyCorpus(dir: string, opts: VerifyOptions = {}): Promise<VerifyReport> {
  const root = resolve(dir);
  const report = emptyReport('corpus');
  const entries = [...(await readManifest(root)).values()].filter((e) => e.status === 'ok');
  if (entries.length === 0) {
    report.missing.push({ where: root, file: MANIFEST_FILE, detail: 'no manifest, or no book recorded as done in it' });
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
  for (const f of files) {
    if (opts.signal?.aborted) throw abortedError();
    const abs = resolve(root, f.rel);
    const inside = abs.startsWith(root + sep);
    const check = inside ? await checkFile(abs, f.size, f.sha256) : ({ state: 'corrupt', detail: 'recorded outside the output folder' } as const);
    if (check.state === 'missing') report.missing.push({ where: root, file: f.rel, ebook: f.ebook, detail: 'recorded in the manifest, not on disk' });
    else if (check.state === 'corrupt') report.corrupt.push({ where: root, file: f.rel, ebook: f.ebook, detail: check.detail });
    report.checked.files++;
    opts.onProgress?.({ phase: 'hashing', done: ++done, total: files.length });
  }
  for (const d of topDirs) {
    for await (const abs of walk(d)) {
      if (!known.has(abs)) report.extra.push({ where: root, file: relative(root, abs), detail: extraDetail(abs) });
    }
  }
  return finishReport(report);
}
