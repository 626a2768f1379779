/** Types of bin/node-flags.js (plain JavaScript, used by bin/ before any build). */
export declare const HEAP_FLAGS: readonly string[];
export declare const JOB_HEAP_FLAGS: readonly string[];
export declare const GUTENBERG_HEAP_FLAGS: readonly string[];
export declare function heapFlagsOf(command?: string): readonly string[];
export declare const MALLOC_ENV: Readonly<Record<string, string>>;
export declare const GUTENBERG_MALLOC_ENV: Readonly<Record<string, string>>;
export declare const MAIL_MALLOC_ENV: Readonly<Record<string, string>>;
export declare function mallocEnvOf(command?: string): Readonly<Record<string, string>>;
export declare function heapFlagsFor(execArgv?: readonly string[], nodeOptions?: string, command?: string): string[];
export declare function mallocEnvFor(env?: NodeJS.ProcessEnv, command?: string): Record<string, string>;
export declare function launchEnvFor(command?: string, env?: NodeJS.ProcessEnv): Record<string, string>;
export declare function benchChildLaunch(command: 'gutenberg' | 'mail', env?: NodeJS.ProcessEnv): { flags: string[]; env: NodeJS.ProcessEnv };
