/**
 * The CLI as installed: electron/cli/index.ts and the scrubber's two worker entry points bundled by
 * esbuild into out/cli/ (run by bin/fanout.js), with the npm packages they use, split at the dynamic
 * imports so that each command loads only its own part (`fanout --help` loads commander and the
 * command list, nothing else).
 *
 * Why: Node 20 loads an ES module graph file by file (resolve, read, compile, link each), and a
 * one-book `fanout gutenberg` job loaded ~280 files before its first request (~290 files for mail,
 * with imapflow's); bundled, it loads ~70, and the job reaches its first request ~50 ms sooner
 * (docs/BENCHMARKS.md, "Session 4: start-up and fixed cost").
 *
 * Built by electron-vite's main build (electron.vite.config.ts calls bundleCli when it finishes),
 * so `npm run build` and the install's `prepare` always leave out/cli/ matching out/main/.
 * Flat output on purpose: the scrub pool starts `scrub-worker.js` / `scrub-child.js` found next to
 * the module that asks (electron/engine/scrub/worker-script.ts), here any chunk of out/cli/.
 */
import { readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { build } from 'esbuild';

/**
 * Left out of the bundle, loaded from node_modules at run time: piscina starts its own worker
 * script from its package folder, and unzipper's S3 source is an optional package we never call.
 */
export const CLI_EXTERNALS = Object.freeze(['piscina', '@aws-sdk/client-s3']);

/**
 * Modules a bundled package imports as it loads but calls only on paths the CLI does not take by
 * default: each replaced by a stand-in that loads it on first use. imapflow imports pino for its
 * default logger (Fanout passes `logger: false`) and socks for a proxy (only `fanout mail --proxy`);
 * imapflow and libmime import encoding-japanese to decode ISO-2022-JP and EUC-JP text only: together
 * ~40–60 ms of CPU of a mail job's start-up. Matched by the importing file and the names it imports;
 * if a new version moves them, they are simply bundled as they are.
 */
export const LAZY_IMPORTS = Object.freeze([
  { importer: /[\\/]imapflow[\\/]dist[\\/]esm[\\/]logger\.js$/, module: 'pino', names: ['default'] },
  { importer: /[\\/]imapflow[\\/]dist[\\/]esm[\\/]proxy-connection\.js$/, module: 'socks', names: ['SocksClient'] },
  { importer: /[\\/]imapflow[\\/]dist[\\/]esm[\\/]jp-decoder\.js$/, module: 'encoding-japanese', names: ['default'] },
  { importer: /[\\/]libmime[\\/]dist[\\/]esm[\\/]charset\.js$/, module: 'encoding-japanese', names: ['default'] },
  // mailsplit's own (older, CommonJS) libmime: `require()` wants the module itself, not a namespace.
  { importer: /[\\/]libmime[\\/]lib[\\/]charset\.js$/, module: 'encoding-japanese', names: ['module.exports'] },
]);

/**
 * The stand-in: each imported name (`module.exports` for a CommonJS importer) is a function-shaped
 * proxy (pino is called, SocksClient's static methods are read) for the real export, which is
 * required on first use.
 */
function lazyModule({ module, names }) {
  const exported = names.map((n) =>
    n === 'module.exports' ? 'module.exports = lazy((m) => m);' : n === 'default' ? 'export default lazy((m) => m);' : `export const ${n} = lazy((m) => m[${JSON.stringify(n)}]);`,
  );
  return `let real;
const load = () => (real ??= require(${JSON.stringify(module)}));
const lazy = (pick) => new Proxy(function lazy() {}, {
  apply: (_t, self, args) => Reflect.apply(pick(load()), self, args),
  construct: (_t, args) => Reflect.construct(pick(load()), args),
  get: (_t, key) => {
    const target = pick(load());
    const value = target[key];
    return typeof value === 'function' ? value.bind(target) : value;
  },
});
${exported.join('\n')}
`;
}

export const lazyImports = {
  name: 'lazy-imports',
  setup(b) {
    b.onResolve({ filter: /^[\w@][\w@/.-]*$/ }, (args) => {
      if (args.namespace === 'lazy-import') return undefined;
      const lazy = LAZY_IMPORTS.findIndex((l) => l.module === args.path && l.importer.test(args.importer));
      // One stand-in per importer: each requires the module from its own package's folder.
      return lazy < 0 ? undefined : { path: `${args.path} for ${args.importer}`, namespace: 'lazy-import', pluginData: { lazy, resolveDir: args.resolveDir } };
    });
    // The stand-in's own require() resolves normally, from the importing package's folder.
    b.onLoad({ filter: /.*/, namespace: 'lazy-import' }, (args) => ({
      contents: lazyModule(LAZY_IMPORTS[args.pluginData.lazy]),
      loader: 'js',
      resolveDir: args.pluginData.resolveDir,
    }));
  },
};

/**
 * Load-time work in a bundled package moved to its first use, by an exact text replacement in the
 * bundled copy (the package on disk is untouched). commander's node:child_process (below). libmime 5.6.4 builds iconv-lite's whole GBK codec
 * (~30 ms of CPU, every `fanout mail` start) only to learn the class of iconv-lite's double-byte
 * decoders, which it compares against when it decodes a stream: that class is now looked up there.
 * Each `from` must occur exactly once: otherwise (another libmime) the file is bundled as it is, with
 * a build warning.
 */
export const LOAD_TIME_PATCHES = Object.freeze([
  // commander 14 requires node:child_process as it loads, for the one thing it spawns (a git-style
  // executable subcommand, which Fanout has none of): that loads net, dgram and their internals
  // (~5-10 ms of every `fanout` start, `--help` included). Loaded at its first spawn instead.
  {
    file: /[\\/]commander[\\/]lib[\\/]command\.js$/,
    replace: [["const childProcess = require('node:child_process');", "let childProcessModule;\nconst childProcess = { spawn: (...args) => (childProcessModule ??= require('node:child_process')).spawn(...args) };"]],
  },
  {
    file: /[\\/]libmime[\\/]dist[\\/]esm[\\/]charset\.js$/,
    replace: [
      ["const DBCS_DECODER = iconv.getCodec('gbk').decoder;", "let dbcsDecoder;\nconst DBCS_DECODER = () => (dbcsDecoder ??= iconv.getCodec('gbk').decoder);"],
      ['if (codec.decoder === DBCS_DECODER) {', 'if (codec.decoder === DBCS_DECODER()) {'],
    ],
  },
]);

export const loadTimePatches = {
  name: 'load-time-patches',
  setup(b) {
    b.onLoad({ filter: /\.js$/, namespace: 'file' }, async (args) => {
      const patch = LOAD_TIME_PATCHES.find((p) => p.file.test(args.path));
      if (!patch) return undefined;
      let text = await readFile(args.path, 'utf8');
      for (const [from, to] of patch.replace) {
        if (text.split(from).length !== 2) return { warnings: [{ text: `not patched (its code changed; see LOAD_TIME_PATCHES): ${from}` }] };
        text = text.replace(from, () => to);
      }
      return { contents: text, loader: 'js' };
    });
  },
};

/**
 * zod's locales, but English, loaded on first use. zod 4 re-exports every locale as a namespace
 * (`z.locales`, from classic/external.js, mini/external.js and core/index.js), which a bundler cannot shake: 63
 * locales, 366 KB of the 900 KB every job's first chunk parses before it runs (zod's schemas are
 * built as the engine loads), ~40 % of its compile time, for messages in languages Fanout never
 * sets (zod's default, `en`, registers itself from classic/schemas.js, bundled as it is). Here the
 * namespace keeps every name: `en` is the real module, each other is a function that requires zod's
 * own CommonJS copy of the locales from node_modules when first called (`z.config(z.locales.fr())`
 * works as before; zod is a runtime dependency, so it is there beside the bundle). Fanout's schemas
 * (shared/job-spec.ts, shared/ipc-schemas.ts) are zod/mini; job-spec.ts sets English, as classic zod does as it loads.
 */
const ZOD_LOCALES_IMPORTER = /[\\/]zod[\\/]v4[\\/](classic[\\/]external|mini[\\/]external|core[\\/]index)\.js$/;
const ZOD_LOCALES_CJS = 'zod/v4/locales/index.cjs';

export const zodLocales = {
  name: 'zod-locales',
  setup(b) {
    b.onResolve({ filter: /^\.\.\/locales\/index\.js$/ }, (args) =>
      ZOD_LOCALES_IMPORTER.test(args.importer) ? { path: join(args.resolveDir, args.path), namespace: 'zod-locales' } : undefined,
    );
    b.onResolve({ filter: /.*/, namespace: 'zod-locales' }, (args) => (args.path === ZOD_LOCALES_CJS ? { path: args.path, external: true } : { path: join(args.resolveDir, args.path) }));
    b.onLoad({ filter: /.*/, namespace: 'zod-locales' }, async (args) => {
      const index = await readFile(args.path, 'utf8');
      const names = [...index.matchAll(/^export \{ default as (\w+) \} from "\.\/[\w-]+\.js";$/gm)].map((m) => m[1]);
      // Anything else in the index (a new kind of export) and it is bundled as it is.
      if (names.length === 0 || !index.includes('export { default as en } from "./en.js";') || index.trim().split('\n').length !== names.length) return { contents: index, loader: 'js', resolveDir: join(args.path, '..'), warnings: [{ text: 'zod locales bundled whole (their index changed; see zodLocales)' }] };
      const lines = names.map((n) =>
        n === 'en' ? 'export { default as en } from "./en.js";' : `export function ${n}(...args) { return require(${JSON.stringify(ZOD_LOCALES_CJS)}).${n}(...args); }`,
      );
      return { contents: `${lines.join('\n')}\n`, loader: 'js', resolveDir: join(args.path, '..') };
    });
  },
};

/** Where bin/fanout.js finds the bundled CLI, relative to the repository. */
export const CLI_BUNDLE_DIR = 'out/cli';

/**
 * Bundles the CLI from `root`'s sources into `outdir` (replaced). The outdir must lie inside the
 * repository: the externals resolve from node_modules above it.
 */
export async function bundleCli(root, outdir = join(root, CLI_BUNDLE_DIR)) {
  await bundleEntries(
    root,
    {
      index: join(root, 'electron/cli/index.ts'),
      // `fanout mail`'s quick listing, started by bin/fanout.js before index.js loads (mail-early.ts).
      'mail-early': join(root, 'electron/cli/mail-early.ts'),
      'scrub-worker': join(root, 'electron/engine/scrub/scrub-worker.ts'),
      'scrub-child': join(root, 'electron/engine/scrub/scrub-child.ts'),
    },
    outdir,
  );
}

/**
 * Bundles `entryPoints` (name → source file) into `outdir` (replaced) exactly as the CLI is bundled:
 * also used by bench/mail-bench.ts for its Fanout child, so that the child loads what `fanout mail`
 * loads (and loads it the same way: chunks, lazy imports, patches).
 */
export async function bundleEntries(root, entryPoints, outdir) {
  await rm(outdir, { recursive: true, force: true });
  await build({
    absWorkingDir: root,
    entryPoints,
    outdir,
    chunkNames: 'chunk-[hash]',
    bundle: true,
    splitting: true,
    format: 'esm',
    platform: 'node',
    target: 'node20',
    external: [...CLI_EXTERNALS],
    plugins: [lazyImports, loadTimePatches, zodLocales],
    // CommonJS packages bundled into ES modules call require() for node's built-ins and the externals.
    banner: { js: "import { createRequire as __fanoutCreateRequire } from 'node:module'; const require = __fanoutCreateRequire(import.meta.url);" },
    logLevel: 'warning',
  });
}
