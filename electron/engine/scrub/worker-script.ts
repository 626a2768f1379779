import { createHash } from 'node:crypto';
import { readFileSync, readdirSync, realpathSync, statSync, unlinkSync } from 'node:fs';
import { mkdir, readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { isTempName, writeFileAtomic } from '../output/atomic-file';

/** How to start one of the scrub entry points that live next to this module. */
export interface WorkerScript {
  /** Absolute file path of the entry point. */
  path: string;
  /** Node flags for the new thread/process: a TypeScript loader when running from sources. */
  execArgv: string[];
}

type EntryName = 'scrub-worker' | 'scrub-child';

/**
 * Resolves `scrub-worker` / `scrub-child` as a sibling of this module, with this module's own
 * extension: `.js` in the electron-vite build (preserveModules puts both entries next to this
 * file in out/main/electron/engine/scrub/) and in the CLI bundle (out/cli/). From the sources
 * (`.ts`, under tsx or vitest), the entry bundled into one plain script when `prepareSiblingScript`
 * made it (or an earlier process did, for the same sources: `bundledEntry`), else the `.ts` file
 * with `--import tsx` for the new thread/process. Plain path arithmetic rather than
 * `new URL('./x', import.meta.url)`, which bundlers rewrite as an asset reference.
 */
export function siblingScript(name: EntryName): WorkerScript {
  const self = fileURLToPath(import.meta.url);
  const ext = path.extname(self);
  const entry = path.join(path.dirname(self), name + ext);
  if (ext !== '.ts') return { path: entry, execArgv: [] };
  const bundled = bundledEntry(entry, cacheDirOf(self));
  return bundled ? { path: bundled, execArgv: [] } : { path: entry, execArgv: ['--import', tsxLoader(self)] };
}

/**
 * From the sources: bundles `name` (esbuild, a development dependency) into a plain script in
 * node_modules/.cache/fanout-scrub-entries/, unless one for the same sources is there; a no-op in
 * a build. Why: a thread started with `--import tsx` registers tsx's loader, which Node 20 runs on
 * a hooks thread of its own, and compiles every module of the scrub again: 0.2–0.4 s to a thread's
 * first book on a quiet 2-core machine, 2.8–3.5 s under load (s18: the first books of a job from
 * the sources waited that long), against ~60 ms for a plain script. Never throws: without esbuild,
 * or with a cache folder that cannot be written, threads start with tsx as before.
 */
export async function prepareSiblingScript(name: EntryName): Promise<void> {
  const self = fileURLToPath(import.meta.url);
  if (path.extname(self) !== '.ts') return;
  const entry = path.join(path.dirname(self), `${name}.ts`);
  const dir = cacheDirOf(self);
  if (dir === null || bundledEntry(entry, dir) !== null) return;
  let build = building.get(entry);
  if (build === undefined) {
    build = bundleEntry(entry, dir)
      .catch(() => null)
      .finally(() => building.delete(entry));
    building.set(entry, build);
  }
  await build;
}

/** Bundles under way in this process, by entry path. */
const building = new Map<string, Promise<string | null>>();
/** The last bundle found current for each entry in this process: used when the check itself cannot read (EMFILE). */
const lastGood = new Map<string, string>();

/** The module that bundles (a development dependency), named through a variable so that no build takes it in. */
const ESBUILD = 'esbuild';
/** Bumped when the bundle's options change: bundles made with other options are not reused. */
const BUNDLE_FORMAT = '1';

/** node_modules/.cache/fanout-scrub-entries/ beside piscina (which the bundle imports), or null when piscina is not found. */
function cacheDirOf(self: string): string | null {
  try {
    const piscina = createRequire(self).resolve('piscina');
    const at = piscina.lastIndexOf(`${path.sep}node_modules${path.sep}`);
    return at < 0 ? null : path.join(piscina.slice(0, at), 'node_modules', '.cache', 'fanout-scrub-entries');
  } catch {
    return null;
  }
}

/** sha256 over the bundle's options and each of its source files (path and contents), in path order. */
function sourcesKey(files: Array<{ path: string; text: string }>): string {
  const hash = createHash('sha256').update(`${BUNDLE_FORMAT}\0`);
  for (const f of [...files].sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0))) hash.update(`${f.path}\0${f.text}\0`);
  return hash.digest('hex').slice(0, 24);
}

/** What a bundle was made from: its record, `<name>-<entry tag>.json` beside it (`recordPath`). */
interface BundleRecord {
  /** The source files it holds, absolute real paths (as esbuild names them). */
  inputs: string[];
  /** `sourcesKey` of those files as they were; the bundle is `<name>-<key>.mjs`. */
  key: string;
  /** sha256 of the bundle's bytes: a bundle cut short (a crash after its rename) is never run. */
  sha256: string;
}

/**
 * One record per entry file: checkouts sharing node_modules (worktrees linked to one) each keep
 * their own instead of overwriting one another's at every pool start.
 */
function recordPath(dir: string, entry: string): string {
  const real = realpathSync(entry);
  const tag = createHash('sha256').update(real).digest('hex').slice(0, 12);
  return path.join(dir, `${path.basename(entry, path.extname(entry))}-${tag}.json`);
}

const sha256Of = (bytes: Uint8Array): string => createHash('sha256').update(bytes).digest('hex');

/**
 * The bundle of `entry` made from the source files as they are now, or null: the record's files
 * read and hashed again (~1 ms), so an edited scrub module is never run from an older bundle.
 * Exported for tests (`dir`: another cache folder).
 */
export function bundledEntry(entry: string, dir: string | null): string | null {
  if (dir === null) return null;
  const name = path.basename(entry, path.extname(entry));
  try {
    const record = JSON.parse(readFileSync(recordPath(dir, entry), 'utf8')) as BundleRecord;
    if (!record.inputs.includes(realpathSync(entry))) return null;
    const key = sourcesKey(record.inputs.map((p) => ({ path: p, text: readFileSync(p, 'utf8') })));
    if (key !== record.key) return null;
    // The bundle's own bytes checked too (~0.1 ms for its 30 KB).
    const bundle = path.join(dir, `${name}-${key}.mjs`);
    if (sha256Of(readFileSync(bundle)) !== record.sha256) return null;
    lastGood.set(entry, bundle);
    return bundle;
  } catch (err) {
    // No record yet, or a source gone: no bundle. Out of descriptors: the one found before, if any.
    const code = (err as NodeJS.ErrnoException).code;
    return code === 'EMFILE' || code === 'ENFILE' ? (lastGood.get(entry) ?? null) : null;
  }
}

/**
 * Bundles `entry` into `dir` (exported for tests). The key is computed from the very texts esbuild
 * compiled (read by the plugin below), so a file edited during the build cannot be filed under
 * its new contents. piscina stays outside: the bundle's `move` must be the one piscina's own worker
 * script checks. Processes bundling at once each write a whole file (a temporary of their own,
 * renamed).
 */
export async function bundleEntry(entry: string, dir: string): Promise<string | null> {
  const esbuild = (await import(ESBUILD)) as typeof import('esbuild');
  const sources: Array<{ path: string; text: string }> = [];
  const result = await esbuild.build({
    entryPoints: [entry],
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    external: ['piscina'],
    write: false,
    logLevel: 'silent',
    plugins: [
      {
        name: 'sources-key',
        setup(b) {
          b.onLoad({ filter: /\.[cm]?[jt]s$/ }, async (args) => {
            const text = await readFile(args.path, 'utf8');
            sources.push({ path: args.path, text });
            return { contents: text, loader: /\.[cm]?ts$/.test(args.path) ? 'ts' : 'js' };
          });
        },
      },
    ],
  });
  const code = result.outputFiles[0]?.contents;
  if (!code) return null;
  const name = path.basename(entry, path.extname(entry));
  const key = sourcesKey(sources);
  await mkdir(dir, { recursive: true });
  const bundle = path.join(dir, `${name}-${key}.mjs`);
  // Each written durably under a unique temporary name, then renamed (output/atomic-file.ts); the
  // bundle first, then the record naming it and its sha256.
  await writeFileAtomic(bundle, code);
  const record: BundleRecord = { inputs: sources.map((s) => s.path), key, sha256: sha256Of(code) };
  await writeFileAtomic(recordPath(dir, entry), JSON.stringify(record));
  removeStale(dir, name);
  return bundle;
}

/**
 * Bundles of `name` that no record names (any checkout's) and older than a day, and temporaries
 * older than a day (a crash's); a bundle just resolved by another process is named by its record.
 */
function removeStale(dir: string, name: string): void {
  const dayAgo = Date.now() - 86_400_000;
  try {
    const files = readdirSync(dir);
    const named = new Set<string>();
    for (const f of files) {
      if (!f.endsWith('.json') || isTempName(f)) continue;
      try {
        named.add(`${name}-${(JSON.parse(readFileSync(path.join(dir, f), 'utf8')) as BundleRecord).key}.mjs`);
      } catch {
        // another process's record being replaced, or not a record
      }
    }
    for (const f of files) {
      const stale = isTempName(f) || (f.startsWith(`${name}-`) && f.endsWith('.mjs') && !named.has(f));
      if (stale && statSync(path.join(dir, f)).mtimeMs < dayAgo) unlinkSync(path.join(dir, f));
    }
  } catch {
    // another process removed it first, or the folder is not ours to clean
  }
}

/**
 * tsx's loader as a file URL, found from this module: a bare `--import tsx` is resolved from the
 * current folder, so the sources run from outside the repository (a checkout without a build,
 * `node ~/fanout/bin/fanout.js …` from the user's folder) failed every book: "Cannot find package 'tsx'".
 */
function tsxLoader(self: string): string {
  return pathToFileURL(createRequire(self).resolve('tsx')).href;
}
