/** Types of build/cli-bundle.mjs (plain JavaScript, run by the build and by tests). */
import type { Plugin } from 'esbuild';
export declare const CLI_EXTERNALS: readonly string[];
export declare const CLI_BUNDLE_DIR: string;
export declare function bundleCli(root: string, outdir?: string): Promise<void>;
export declare function bundleEntries(root: string, entryPoints: Record<string, string>, outdir: string): Promise<void>;
export declare const LAZY_IMPORTS: ReadonlyArray<{ importer: RegExp; module: string; names: string[] }>;
export declare const LOAD_TIME_PATCHES: ReadonlyArray<{ file: RegExp; replace: Array<[from: string, to: string]> }>;
export declare const lazyImports: Plugin;
export declare const loadTimePatches: Plugin;
export declare const zodLocales: Plugin;
