import { InvalidArgumentError } from 'commander';
import type { z } from 'zod';
import { EXIT } from './run-job-in-terminal';

export function positiveInt(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) throw new InvalidArgumentError('must be a whole number of at least 1');
  return n;
}

/** Validates a job spec with its zod schema; on failure prints each problem with its field and exits 2. */
export function parseSpecOrExit<S extends z.ZodType>(schema: S, input: unknown): z.infer<S> {
  const result = schema.safeParse(input);
  if (result.success) return result.data;
  for (const issue of result.error.issues) {
    process.stderr.write(`error: ${issue.path.join('.') || 'input'}: ${issue.message}\n`);
  }
  process.exit(EXIT.badInput);
}
