/**
 * Runtime schemas for every command payload of `shared/ipc.ts`. The receiving side (Electron main,
 * web host) calls `parseCommand` before anything reaches the engine; a bad payload is rejected with
 * a BAD_INPUT error naming the command and each offending field.
 */
import { z } from 'zod';
import { MAX_RATE_CAP, MIN_RATE_CAP } from './byte-rate';
import type { SerializedError } from './errors';
import { checkAbsolutePath, parseWithProblems } from './input-checks';
import { MAX_RECORDING_PAGE_FRAMES, type CommandName, type CommandRequest } from './ipc';
import { GutenbergJobSpecSchema, MailAccountSchema, MailJobSpecSchema, MirrorTlsSchema, ScrubExecutorSchema, StrategySchema, checkedString } from './job-spec';

const Empty = z.object({}).strict();

/**
 * A path from the UI: absolute, since a relative one would resolve against the host process's
 * working directory, which the person at the form cannot see (the CLI accepts relative paths).
 */
const AbsolutePath = checkedString(checkAbsolutePath).pipe(z.string().max(4000));

/** The Gutenberg job as the UI may send it: the CLI's spec, with absolute paths. */
export const UiGutenbergJobSpecSchema = GutenbergJobSpecSchema.extend({
  catalog: AbsolutePath,
  outDir: AbsolutePath,
  mirrorTls: MirrorTlsSchema.extend({ caFile: AbsolutePath.optional() }).default({ allowUntrustedCert: false }),
});
export const UiJobSpecSchema = z.discriminatedUnion('kind', [UiGutenbergJobSpecSchema, MailJobSpecSchema.extend({ outDir: AbsolutePath })]);
const JobId = z.object({ jobId: z.string().min(1).max(200) }).strict();
const shortText = z.string().max(500);

export const CatalogQuerySchema = z
  .object({ text: shortText, author: shortText, title: shortText, language: shortText, subject: shortText })
  .partial()
  .strict();

export const SettingsPatchSchema = z
  .object({
    mirror: z.string().max(2000),
    outDir: z.string().max(4000),
    workers: z.number().int().min(1).max(64),
    strategy: StrategySchema,
    lastCatalog: z.string().max(4000),
    mail: z
      .object({
        host: z.string().max(500),
        port: z.number().int().min(1).max(65535).optional(),
        user: z.string().max(500),
        tls: z.enum(['implicit', 'starttls', 'none']),
        rememberPassword: z.boolean(),
      })
      .strict(),
  })
  .partial()
  .strict();

export const LabRequestSchema = z
  .object({
    spec: UiGutenbergJobSpecSchema,
    strategies: z.array(StrategySchema).min(1).max(4),
    workerCounts: z.array(z.number().int().min(1).max(64)).min(1).max(8),
    sampleSize: z.number().int().min(1).max(2000),
    repeats: z.number().int().min(1).max(9),
    compareScrubExecutors: z.boolean(),
  })
  .strict();

const LabCounts = (max: number) => z.array(z.number().int().min(1).max(max)).min(1).max(8);
const LabRepeats = z.number().int().min(1).max(9);

/** The lab kinds besides Gutenberg's grid (shared/ipc.ts `LabRunInput`), each the grid of its `fanout lab` command. */
export const ScrubLabInputSchema = z
  .object({
    kind: z.literal('scrub'),
    input: AbsolutePath,
    sampleSize: z.number().int().min(1).max(100_000),
    executors: z.array(ScrubExecutorSchema).min(1).max(2),
    workerCounts: LabCounts(64),
    repeats: LabRepeats,
  })
  .strict();
export const QueueLabInputSchema = z
  .object({
    kind: z.literal('queue'),
    spec: UiGutenbergJobSpecSchema,
    bounds: z.array(z.number().int().min(1).max(100_000).nullable()).min(1).max(12),
    sampleSize: z.number().int().min(1).max(2000),
    repeats: LabRepeats,
  })
  .strict();
export const MailLabInputSchema = z
  .object({
    kind: z.literal('mail'),
    spec: MailJobSpecSchema.extend({ outDir: AbsolutePath }),
    strategies: z.array(StrategySchema).min(1).max(4),
    connectionCounts: LabCounts(32),
    repeats: LabRepeats,
  })
  .strict();

/** Timeouts as `fanout lab stragglers --timeouts` takes them; one request per book (adaptive pipelines batches only without a timeout). */
export const StragglerLabInputSchema = z
  .object({
    kind: z.literal('stragglers'),
    spec: UiGutenbergJobSpecSchema.refine((s) => s.strategy !== 'adaptive', { message: 'the stragglers lab needs one request per book: serial, queue or split', path: ['strategy'] }),
    timeouts: z.array(z.number().int().min(100).max(3_600_000).nullable()).min(1).max(8),
    sampleSize: z.number().int().min(1).max(2000),
    repeats: LabRepeats,
  })
  .strict();

/** `lab:run`: one of the lab kinds; without `kind` it is the Gutenberg lab (clients from before the other kinds). */
export const LabRunInputSchema = z.preprocess(
  (v) => (v !== null && typeof v === 'object' && !Array.isArray(v) && !('kind' in v) ? { ...v, kind: 'gutenberg' } : v),
  z.discriminatedUnion('kind', [LabRequestSchema.extend({ kind: z.literal('gutenberg') }), ScrubLabInputSchema, QueueLabInputSchema, MailLabInputSchema, StragglerLabInputSchema]),
);

/** One schema per command. `satisfies` keeps this map and the `Commands` type in step. */
export const CommandSchemas = {
  'app:info': Empty,
  'settings:get': Empty,
  'settings:set': SettingsPatchSchema,
  'job:start': z.object({ spec: UiJobSpecSchema }).strict(),
  // Any payload: the answer is the list of problems, each with its field, for the form to show.
  'job:check': z.object({ spec: z.unknown() }).strict(),
  'job:pause': JobId,
  'job:resume': JobId,
  'job:set-rate': z.object({ jobId: JobId.shape.jobId, bytesPerSecond: z.number().int().min(MIN_RATE_CAP).max(MAX_RATE_CAP).nullable() }).strict(),
  'job:cancel': JobId,
  'job:active': Empty,
  'catalog:load': z.object({ path: AbsolutePath }).strict(),
  'catalog:download': z.object({ mirror: z.string().min(1).max(2000) }).strict(),
  'catalog:cancel-download': Empty,
  'catalog:search': z
    .object({
      catalogId: z.string().min(1).max(200),
      query: CatalogQuerySchema,
      offset: z.number().int().min(0),
      limit: z.number().int().min(1).max(1000),
    })
    .strict(),
  'catalog:ids': z.object({ catalogId: z.string().min(1).max(200), query: CatalogQuerySchema }).strict(),
  'history:list': Empty,
  'history:get': JobId.extend({ from: z.number().int().min(0).optional(), count: z.number().int().min(1).max(MAX_RECORDING_PAGE_FRAMES).optional() }).strict(),
  'lab:run': LabRunInputSchema,
  'lab:cancel': z.object({ labId: z.string().min(1).max(200) }).strict(),
  'mail:test': z.object({ account: MailAccountSchema }).strict(),
  'mail:folders': z.object({ account: MailAccountSchema }).strict(),
  'secrets:save-mail-password': z.object({ host: z.string().min(1).max(500), user: z.string().min(1).max(500), password: z.string().min(1).max(4000) }).strict(),
  'secrets:forget-mail-password': z.object({ host: z.string().min(1).max(500), user: z.string().min(1).max(500) }).strict(),
  'secrets:load-mail-password': z.object({ host: z.string().min(1).max(500), user: z.string().min(1).max(500) }).strict(),
  'dialog:pick-folder': z.object({ title: z.string().max(200).optional(), defaultPath: z.string().max(4000).optional() }).strict(),
  'shell:open-path': z.object({ path: AbsolutePath }).strict(),
  'verify:run': JobId,
} as const satisfies { [C in CommandName]: z.ZodType };

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
export const ClientMessageSchema = z
  .object({ t: z.literal('call'), id: z.number().int().min(0), cmd: z.string().min(1).max(64), arg: z.unknown() })
  .strict();
