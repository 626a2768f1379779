import { InvalidArgumentError } from 'commander';
import type * as z from 'zod/mini';
import { formatProblem, parseWithProblems, type InputProblem } from '../../shared/input-checks';
import type { InputCheck } from '../engine/inputs/job-inputs';
import { EXIT } from './exit-codes';
import { isAuto, wholeNumber } from './whole-number';

/**
 * The CLI side of input validation: option parsers, and printing problems (from the shared checks
 * in shared/input-checks.ts and electron/engine/inputs/) one line each, named by their option.
 * Kept light (no zod, no engine at load time): every command's options use it, and `--help` must
 * not pay for what only a run needs.
 */

/** An integer option from `min` to `max`, digits only ("1e3", "0x10", "-1" and "4.5" are refused). */
export function intOption(min: number, max: number): (value: string) => number {
  return (value: string) => {
    const n = wholeNumber(value, min, max);
    if (n !== null) return n;
    const unbounded = max === Number.MAX_SAFE_INTEGER;
    if (unbounded && /^\d+$/.test(value.trim()) && Number(value.trim()) > max) throw new InvalidArgumentError('is too large; give a smaller whole number');
    throw new InvalidArgumentError(`must be a whole number ${unbounded ? `of at least ${min}` : `from ${min} to ${max.toLocaleString('en-US')}`}`);
  };
}

/** A whole number of at least 1 (its upper bound, where there is one, comes from the job spec's schema). */
export const positiveInt = intOption(1, Number.MAX_SAFE_INTEGER);

/**
 * A connection count or `auto` (`--workers`, `--connections`): a count as `positiveInt`; a refused
 * one says that auto is the other choice (a user typing 0 may be looking for it).
 */
export function countOrAuto(value: string): number | 'auto' {
  if (isAuto(value)) return 'auto';
  try {
    return positiveInt(value);
  } catch (err) {
    throw new InvalidArgumentError(`${(err as Error).message}, or auto`);
  }
}

/** Job spec fields as the options that set them, so a problem is named the way the user typed it. */
const FLAGS: Record<string, string> = {
  catalog: '--catalog',
  mirror: '--mirror',
  outDir: '--out',
  'mirrorTls.caFile': '--ca-file',
  'selection.ids': '--ids',
  'selection.author': '--author',
  'selection.title': '--title',
  'selection.language': '--language',
  'selection.subject': '--subject',
  'selection.type': '--type',
  'selection.limit': '--limit',
  workers: '--workers',
  strategy: '--strategy',
  scrubWorkers: '--scrub-workers',
  scrubExecutor: '--scrub-executor',
  timeoutMs: '--timeout',
  attempts: '--attempts',
  proxy: '--proxy',
  maxPerHost: '--max-per-host',
  itemTimeoutMs: '--item-timeout',
  // The mail account is checked on its own (MailAccountSchema) and inside the job spec.
  host: '--host',
  port: '--port',
  user: '--user',
  tls: '--tls',
  'account.host': '--host',
  'account.port': '--port',
  'account.user': '--user',
  'account.tls': '--tls',
  folders: '--folders',
  connections: '--connections',
};

/** `--catalog /x.csv: no such file; check the path`. Fields without an option keep their spec name. */
export function problemLine(p: InputProblem): string {
  return formatProblem(FLAGS[p.field] ?? p.field, p);
}

/** Prints each problem as `error: …` and exits 2 (a usage error). */
export function exitWithProblems(problems: readonly InputProblem[]): never {
  for (const p of problems) process.stderr.write(`error: ${problemLine(p)}\n`);
  process.exit(EXIT.badInput);
}

/** Exits 2 with the problems when there is any. */
export function exitOnProblems(problems: readonly InputProblem[]): void {
  if (problems.length > 0) exitWithProblems(problems);
}

/** Prints a pre-flight check: warnings, then problems (exit 2 if any). */
export function reportInputCheck(check: InputCheck): void {
  for (const w of check.warnings) process.stderr.write(`warning: ${problemLine(w)}\n`);
  exitOnProblems(check.problems);
}

/** Validates input with its zod schema; on failure prints each problem with its option and exits 2. */
export function parseSpecOrExit<S extends z.ZodMiniType>(schema: S, input: unknown): z.infer<S> {
  const result = parseWithProblems(schema, input);
  return result.ok ? result.value : exitWithProblems(result.problems);
}

/**
 * A job spec's parse: on failure prints each problem with its option, and those of its files and
 * folders too (all at once, not one round at a time), and exits 2.
 */
export async function parseJobSpecOrExit<S extends z.ZodMiniType>(schema: S, input: unknown): Promise<z.infer<S>> {
  const result = parseWithProblems(schema, input);
  if (result.ok) return result.value;
  const { problemsOfBadSpec } = await import('../engine/inputs/job-inputs');
  return exitWithProblems(await problemsOfBadSpec(input, result.problems));
}
