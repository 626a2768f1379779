/**
 * Runtime schemas for every command payload of `shared/ipc.ts`. The receiving side (Electron main,
 * web host) calls `parseCommand` before anything reaches the engine; a bad payload is rejected with
 * a BAD_INPUT error naming the command and each offending field.
 */
import * as z from 'zod/mini';
import { MAX_RATE_CAP, MIN_RATE_CAP } from './byte-rate';
import type { SerializedError } from './errors';
import { checkAbsolutePath, parseWithProblems } from './input-checks';
import { MAX_RECORDING_PAGE_FRAMES, type CommandName, type CommandRequest } from './ipc';
import { GutenbergJobSpecSchema, MailAccountSchema, MailJobSpecSchema, MirrorTlsSchema, ScrubExecutorSchema, StrategySchema, checkedString } from './job-spec';

const Empty = z.strictObject({});

/**
 * A path from the UI: absolute, since a relative one would resolve against the host process's
 * working directory, which the person at the form cannot see (the CLI accepts relative paths).
 */
const AbsolutePath = z.pipe(checkedString(checkAbsolutePath), z.string().check(z.maxLength(4000)));

/** The Gutenberg job as the UI may send it: the CLI's spec, with absolute paths. */
export const UiGutenbergJobSpecSchema = z.extend(GutenbergJobSpecSchema, {
  catalog: AbsolutePath,
  outDir: AbsolutePath,
  mirrorTls: z._default(z.extend(MirrorTlsSchema, { caFile: z.optional(AbsolutePath) }), { allowUntrustedCert: false }),
});
export const UiJobSpecSchema = z.discriminatedUnion('kind', [UiGutenbergJobSpecSchema, z.extend(MailJobSpecSchema, { outDir: AbsolutePath })]);
const JobId = z.strictObject({ jobId: text(1, 200) });
const shortText = text(0, 500);

/** A string of `min` to `max` characters (classic zod's `z.string().min(min).max(max)`; no min check when 0). */
function text(min: number, max: number) {
  return min > 0 ? z.string().check(z.minLength(min), z.maxLength(max)) : z.string().check(z.maxLength(max));
}

/** A whole number from `min` to `max` (classic zod's `z.number().int().min(min).max(max)`). */
function int(min: number, max?: number) {
  return max === undefined ? z.number().check(z.int(), z.gte(min)) : z.number().check(z.int(), z.gte(min), z.lte(max));
}

/** An array of `min` to `max` entries. */
function list<T extends z.core.SomeType>(of: T, min: number, max: number) {
  return z.array(of).check(z.minLength(min), z.maxLength(max));
}

export const CatalogQuerySchema = z.partial(z.strictObject({ text: shortText, author: shortText, title: shortText, language: shortText, subject: shortText }));

export const SettingsPatchSchema = z.partial(
  z.strictObject({
    mirror: text(0, 2000),
    outDir: text(0, 4000),
    workers: int(1, 64),
    strategy: StrategySchema,
    lastCatalog: text(0, 4000),
    mail: z.strictObject({
      host: text(0, 500),
      port: z.optional(int(1, 65535)),
      user: text(0, 500),
      tls: z.enum(['implicit', 'starttls', 'none']),
      rememberPassword: z.boolean(),
    }),
  }),
);

export const LabRequestSchema = z.strictObject({
  spec: UiGutenbergJobSpecSchema,
  strategies: list(StrategySchema, 1, 4),
  workerCounts: list(int(1, 64), 1, 8),
  sampleSize: int(1, 2000),
  repeats: int(1, 9),
  compareScrubExecutors: z.boolean(),
});

/** The lab's grid without its job spec (`fanout lab gutenberg` checks its options with it before the spec). */
export const LabGridSchema = z.omit(LabRequestSchema, { spec: true });

const LabCounts = (max: number) => list(int(1, max), 1, 8);
const LabRepeats = int(1, 9);

/** The lab kinds besides Gutenberg's grid (shared/ipc.ts `LabRunInput`), each the grid of its `fanout lab` command. */
export const ScrubLabInputSchema = z.strictObject({
  kind: z.literal('scrub'),
  input: AbsolutePath,
  sampleSize: int(1, 100_000),
  executors: list(ScrubExecutorSchema, 1, 2),
  workerCounts: LabCounts(64),
  repeats: LabRepeats,
});
export const QueueLabInputSchema = z.strictObject({
  kind: z.literal('queue'),
  spec: UiGutenbergJobSpecSchema,
  bounds: list(z.nullable(int(1, 100_000)), 1, 12),
  sampleSize: int(1, 2000),
  repeats: LabRepeats,
});
export const MailLabInputSchema = z.strictObject({
  kind: z.literal('mail'),
  spec: z.extend(MailJobSpecSchema, { outDir: AbsolutePath }),
  strategies: list(StrategySchema, 1, 4),
  connectionCounts: LabCounts(32),
  repeats: LabRepeats,
});

/** Timeouts as `fanout lab stragglers --timeouts` takes them; one request per book (adaptive pipelines batches only without a timeout). */
export const StragglerLabInputSchema = z.strictObject({
  kind: z.literal('stragglers'),
  spec: UiGutenbergJobSpecSchema.check(z.refine((s) => s.strategy !== 'adaptive', { message: 'the stragglers lab needs one request per book: serial, queue or split', path: ['strategy'] })),
  timeouts: list(z.nullable(int(100, 3_600_000)), 1, 8),
  sampleSize: int(1, 2000),
  repeats: LabRepeats,
});

/**
 * `lab:run`: one of the lab kinds; without `kind` it is the Gutenberg lab (clients from before the
 * other kinds). Classic zod's `z.preprocess(fn, schema)` is this pipe.
 */
export const LabRunInputSchema = z.pipe(
  z.transform((v: unknown) => (v !== null && typeof v === 'object' && !Array.isArray(v) && !('kind' in v) ? { ...v, kind: 'gutenberg' } : v)),
  z.discriminatedUnion('kind', [z.extend(LabRequestSchema, { kind: z.literal('gutenberg') }), ScrubLabInputSchema, QueueLabInputSchema, MailLabInputSchema, StragglerLabInputSchema]),
);

/** One schema per command. `satisfies` keeps this map and the `Commands` type in step. */
export const CommandSchemas = {
  'app:info': Empty,
  'settings:get': Empty,
  'settings:set': SettingsPatchSchema,
  'job:start': z.strictObject({ spec: UiJobSpecSchema }),
  // Any payload: the answer is the list of problems, each with its field, for the form to show.
  'job:check': z.strictObject({ spec: z.unknown() }),
  'job:pause': JobId,
  'job:resume': JobId,
  'job:set-rate': z.strictObject({ jobId: JobId.shape.jobId, bytesPerSecond: z.nullable(int(MIN_RATE_CAP, MAX_RATE_CAP)) }),
  'job:cancel': JobId,
  'job:active': Empty,
  'job:recording': z.extend(JobId, { from: z.optional(int(0)), count: z.optional(int(1, MAX_RECORDING_PAGE_FRAMES)) }),
  'catalog:load': z.strictObject({ path: AbsolutePath }),
  'catalog:download': z.strictObject({ mirror: text(1, 2000) }),
  'catalog:cancel-download': Empty,
  'catalog:download-state': Empty,
  'catalog:search': z.strictObject({
    catalogId: text(1, 200),
    query: CatalogQuerySchema,
    offset: int(0),
    limit: int(1, 1000),
  }),
  'catalog:ids': z.strictObject({ catalogId: text(1, 200), query: CatalogQuerySchema }),
  'history:list': Empty,
  'history:get': z.extend(JobId, { from: z.optional(int(0)), count: z.optional(int(1, MAX_RECORDING_PAGE_FRAMES)) }),
  'lab:run': LabRunInputSchema,
  'lab:cancel': z.strictObject({ labId: text(1, 200) }),
  'lab:active': Empty,
  'mail:test': z.strictObject({ account: MailAccountSchema }),
  'mail:folders': z.strictObject({ account: MailAccountSchema }),
  'secrets:save-mail-password': z.strictObject({ host: text(1, 500), user: text(1, 500), password: text(1, 4000) }),
  'secrets:forget-mail-password': z.strictObject({ host: text(1, 500), user: text(1, 500) }),
  'secrets:load-mail-password': z.strictObject({ host: text(1, 500), user: text(1, 500) }),
  'dialog:pick-folder': z.strictObject({ title: z.optional(text(0, 200)), defaultPath: z.optional(text(0, 4000)) }),
  'shell:open-path': z.strictObject({ path: AbsolutePath }),
  'verify:run': JobId,
  'verify:state': Empty,
} as const satisfies { [C in CommandName]: z.ZodMiniType };

export const COMMAND_NAMES = Object.keys(CommandSchemas) as CommandName[];

export function isCommandName(x: unknown): x is CommandName {
  return typeof x === 'string' && Object.hasOwn(CommandSchemas, x);
}

/** Thrown by `parseCommand`; serialises to a BAD_INPUT error. */
export class IpcValidationError extends Error {
  override readonly name = 'IpcValidationError';
  readonly code = 'BAD_INPUT' as const;
  constructor(
    readonly command: string,
    readonly issues: string[],
  ) {
    super(`Invalid request for "${command}": ${issues.join('; ')}`);
  }
  toJSON(): SerializedError {
    return { code: 'BAD_INPUT', message: this.message, retryable: false, context: {} };
  }
}


/**
 * Validates (and applies defaults to) a command payload. Unknown commands and bad payloads throw
 * an `IpcValidationError` whose message lists every offending field.
 */
export function parseCommand<C extends CommandName>(command: C, payload: unknown): CommandRequest<C>;
export function parseCommand(command: string, payload: unknown): unknown;
export function parseCommand(command: string, payload: unknown): unknown {
  if (!isCommandName(command)) throw new IpcValidationError(String(command).slice(0, 80), ['unknown command']);
  const result = parseWithProblems(CommandSchemas[command], payload);
  if (!result.ok) throw new IpcValidationError(command, result.problems.map((p) => `${p.field || '(payload)'}: ${p.message}`));
  return result.value;
}

/** The WebSocket client → server message (web host). */
export const ClientMessageSchema = z.strictObject({ t: z.literal('call'), id: int(0), cmd: text(1, 64), arg: z.unknown() });
