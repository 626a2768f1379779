/** Types of build/cli-bundle.mjs (plain JavaScript, run by the build and by tests). */
export declare const CLI_EXTERNALS: readonly string[];
export declare const CLI_BUNDLE_DIR: string;
export declare function bundleCli(root: string, outdir?: string): Promise<void>;
