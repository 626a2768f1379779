/** Types of bin/node-flags.js (plain JavaScript, used by bin/ before any build). */
export declare const HEAP_FLAGS: readonly string[];
export declare function heapFlagsFor(execArgv?: readonly string[], nodeOptions?: string): string[];
