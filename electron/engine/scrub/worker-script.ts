import { createHash } from 'node:crypto';
import { existsSync, readFileSync, readdirSync, realpathSync, statSync, unlinkSync } from 'node:fs';
import { mkdir, readFile, rename, unlink, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

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

/** What a bundle was made from: its record, `<name>.json` beside it. */
interface BundleRecord {
  /** The source files it holds, absolute paths. */
  inputs: string[];
  /** `sourcesKey` of those files as they were; the bundle is `<name>-<key>.mjs`. */
  key: string;
}

/**
 * The bundle of `entry` made from the source files as they are now, or null: the record's files
 * read and hashed again (~1 ms), so an edited scrub module is never run from an older bundle.
 * Exported for tests (`dir`: another cache folder).
 */
export function bundledEntry(entry: string, dir: string | null): string | null {
  if (dir === null) return null;
  const name = path.basename(entry, path.extname(entry));
  try {
    const record = JSON.parse(readFileSync(path.join(dir, `${name}.json`), 'utf8')) as BundleRecord;
    // The record is of this very file (another checkout may share node_modules): esbuild names real paths.
    if (!record.inputs.includes(realpathSync(entry))) return null;
    const key = sourcesKey(record.inputs.map((p) => ({ path: p, text: readFileSync(p, 'utf8') })));
    const bundle = path.join(dir, `${name}-${key}.mjs`);
    if (key !== record.key || !existsSync(bundle)) return null;
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
 * script checks. Written to a temporary name, then renamed: processes bundling at once each write
 * a whole file.
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
  // The bundle first, then the record naming it: a reader never finds a record without its bundle.
  await writeWhole(bundle, code);
  const record: BundleRecord = { inputs: sources.map((s) => s.path), key };
  await writeWhole(path.join(dir, `${name}.json`), JSON.stringify(record));
  removeStale(dir, name, bundle);
  return bundle;
}

/** Writes `file` under a name of this process's own, then renames it: readers see the whole file or none. */
async function writeWhole(file: string, data: string | Uint8Array): Promise<void> {
  const temp = `${file}.${process.pid}.${Math.random().toString(36).slice(2)}.tmp`;
  try {
    await writeFile(temp, data);
    await rename(temp, file);
  } catch (err) {
    await unlink(temp).catch(() => {});
    throw err;
  }
}

/** Bundles of `name` older than a day (a thread of another process may still be about to load a recent one). */
function removeStale(dir: string, name: string, keep: string): void {
  const dayAgo = Date.now() - 86_400_000;
  try {
    for (const f of readdirSync(dir)) {
      const file = path.join(dir, f);
      if (file === keep || !f.startsWith(`${name}-`)) continue;
      if (statSync(file).mtimeMs < dayAgo) unlinkSync(file);
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
