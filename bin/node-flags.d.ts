/** Types of bin/node-flags.js (plain JavaScript, used by bin/ before any build). */
export declare const HEAP_FLAGS: readonly string[];
export declare const MALLOC_ENV: Readonly<Record<string, string>>;
export declare function heapFlagsFor(execArgv?: readonly string[], nodeOptions?: string): string[];
export declare function mallocEnvFor(env?: NodeJS.ProcessEnv): Record<string, string>;
export declare function benchChildLaunch(env?: NodeJS.ProcessEnv): { flags: string[]; env: NodeJS.ProcessEnv };
