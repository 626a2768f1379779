import { z } from 'zod';
import { MAX_PER_HOST, checkHostName, checkMirrorUrl } from './input-checks';
import { STRATEGIES } from './strategy';
import { MAX_RATE_CAP, MIN_RATE_CAP } from './byte-rate';
import { checkMailProxy, checkProxySetting } from './proxy-setting';

/** A string field checked by one of shared/input-checks.ts's checks (one message for CLI, IPC and forms). */
export function checkedString(check: (value: string) => string | null) {
  return z.string().superRefine((value, ctx) => {
    const problem = check(value);
    if (problem) ctx.addIssue({ code: 'custom', message: problem });
  });
}

export const StrategySchema = z.enum(STRATEGIES);

/**
 * Ebook numbers and ranges as a user types them: "11,1342,2000-2100". Parsed into sorted,
 * de-duplicated ranges so a huge range never becomes a huge array.
 */
export const IdRangeSchema = z
  .object({ from: z.number().int().positive(), to: z.number().int().positive() })
  .refine((r) => r.from <= r.to, { message: 'a range runs from a lower ebook number to a higher one' });
export type IdRange = z.infer<typeof IdRangeSchema>;

export const CatalogSelectionSchema = z.object({
  /** Absent: no filter on numbers. Never empty: an empty list would read as "the whole catalog". */
  ids: z.array(IdRangeSchema).min(1).optional(),
  author: z.string().optional(),
  title: z.string().optional(),
  language: z.string().optional(),
  subject: z.string().optional(),
  type: z.string().optional(),
  /** Stop after this many books (handy for samples and the speedup lab). */
  limit: z.number().int().positive().optional(),
});
export type CatalogSelection = z.infer<typeof CatalogSelectionSchema>;

export const MirrorUrlSchema = checkedString(checkMirrorUrl);

/** How far to trust an ftps:// or https:// mirror's certificate. Checks are on by default. */
export const MirrorTlsSchema = z
  .object({
    /** Accept a self-signed or otherwise untrusted certificate (same name as for mail accounts). */
    allowUntrustedCert: z.boolean().default(false),
    /** PEM file of extra CA certificates to trust, e.g. the mirror's own self-signed certificate. */
    caFile: z.string().min(1).optional(),
    /** ftps:// only: implicit TLS instead of AUTH TLS (default: implicit on port 990 only). */
    ftpsImplicit: z.boolean().optional(),
  })
  .strict();
export type MirrorTls = z.infer<typeof MirrorTlsSchema>;

export const ScrubExecutorSchema = z.enum(['threads', 'processes']);
export type ScrubExecutor = z.infer<typeof ScrubExecutorSchema>;

export const GutenbergJobSpecSchema = z.object({
  kind: z.literal('gutenberg'),
  /** Path of pg_catalog.csv or of a simple `author,FileNumber,Title` CSV. */
  catalog: z.string().min(1),
  mirror: MirrorUrlSchema,
  mirrorTls: MirrorTlsSchema.default({ allowUntrustedCert: false }),
  selection: CatalogSelectionSchema.default({}),
  workers: z.number().int().min(1).max(64).default(4),
  /**
   * `--workers auto`: start with 4 connections and add more while throughput grows (core/auto-workers.ts);
   * `workers` is then the most it may open. Queue and adaptive strategies only.
   */
  autoWorkers: z.boolean().default(false),
  strategy: StrategySchema.default('adaptive'),
  outDir: z.string().min(1),
  /** Scrubber pool size; defaults to the number of CPUs, capped. */
  scrubWorkers: z.number().int().min(1).max(32).optional(),
  scrubExecutor: ScrubExecutorSchema.default('threads'),
  /** Per-operation network timeout, ms. */
  timeoutMs: z.number().int().min(100).max(600_000).default(30_000),
  /** Attempts per item for transient errors (1 = no retry). */
  attempts: z.number().int().min(1).max(20).default(5),
  /**
   * Per-item timeout, ms (the stragglers lab varies it): an attempt at a book not done by then is
   * cut and the book tried again on a new connection (a retryable TIMEOUT, within `attempts`).
   * Books are then fetched one request each (a deadline cannot cut one book out of a pipelined
   * batch). Absent: none (the stall and per-operation timeouts still apply).
   */
  itemTimeoutMs: z.number().int().min(100).max(3_600_000).optional(),
  /**
   * Bandwidth cap for the whole job (every connection together), bytes per second; absent: none.
   * Changeable while the job runs (job:set-rate).
   */
  limitRate: z.number().int().min(MIN_RATE_CAP).max(MAX_RATE_CAP).optional(),
  /**
   * Wait between requests to the mirror, ms (× a random 0.5–1.5, as wget's --wait with --random-wait),
   * across all workers; books are then fetched one request each, not in pipelined batches.
   */
  waitMs: z.number().int().min(0).max(600_000).optional(),
  /**
   * At most this many connections to the mirror's server (`--max-per-host`), whatever `workers`
   * says. Absent: `workers`, lowered to what the server accepted when it last refused one of ours
   * (learned and kept by the host; electron/engine/net/host-limits.ts). Given, it overrides that.
   */
  maxPerHost: z.number().int().min(1).max(MAX_PER_HOST).optional(),
  /**
   * Books downloaded and not yet cleaned, at most (the bound between the download and clean stages;
   * a downloader waits while it is reached); 'unbounded' never waits. Absent: twice the larger of
   * the two stages' worker counts. The queue lab varies it.
   */
  scrubQueue: z.union([z.number().int().min(1).max(100_000), z.literal('unbounded')]).optional(),
  /**
   * Allow Project Gutenberg's main site (www.gutenberg.org) as the mirror, for a job of one book
   * only: its robot policy refuses bulk downloads (shared/gutenberg-mirrors.ts).
   */
  allowMainSite: z.boolean().default(false),
  /**
   * Proxy for the mirror: `env` (HTTPS_PROXY / HTTP_PROXY / NO_PROXY from the environment, for
   * http(s) mirrors), `none`, an http:// proxy URL (http(s) mirrors) or a socks5:// one (ftp(s)
   * mirrors); NO_PROXY still applies.
   */
  proxy: checkedString(checkProxySetting).default('env'),
});
export type GutenbergJobSpec = z.infer<typeof GutenbergJobSpecSchema>;
export type GutenbergJobInput = z.input<typeof GutenbergJobSpecSchema>;

export const TlsModeSchema = z.enum(['implicit', 'starttls', 'none']);
export type TlsMode = z.infer<typeof TlsModeSchema>;

export const MailAuthSchema = z.discriminatedUnion('method', [
  z.object({ method: z.literal('password'), password: z.string().min(1) }),
  z.object({ method: z.literal('oauth2'), accessToken: z.string().min(1) }),
]);
export type MailAuth = z.infer<typeof MailAuthSchema>;

export const MailAccountSchema = z.object({
  host: checkedString(checkHostName),
  port: z.number().int().min(1).max(65535).optional(),
  tls: TlsModeSchema.default('implicit'),
  /** Accept a self-signed or otherwise untrusted certificate. Off by default. */
  allowUntrustedCert: z.boolean().default(false),
  user: z.string().min(1),
  auth: MailAuthSchema,
  /** Connect through this proxy (imapflow's `proxy`): socks5://host:1080, socks4://…, http://host:3128. */
  proxy: checkedString(checkMailProxy).optional(),
});
export type MailAccount = z.infer<typeof MailAccountSchema>;

export const MailJobSpecSchema = z.object({
  kind: z.literal('mail'),
  account: MailAccountSchema,
  /** 'all', or folder paths as the server names them (decoded). */
  folders: z.union([z.literal('all'), z.array(z.string().min(1)).min(1)]).default('all'),
  connections: z.number().int().min(1).max(32).default(4),
  /**
   * `--workers auto`: start with 2 connections and add more while throughput grows, never more than
   * a server refusal showed it accepts (electron/engine/mail/auto-connections.ts); `connections` is
   * then the most it may open. Queue and adaptive strategies only.
   */
  autoWorkers: z.boolean().default(false),
  strategy: StrategySchema.default('adaptive'),
  outDir: z.string().min(1),
  timeoutMs: z.number().int().min(100).max(600_000).default(60_000),
});
export type MailJobSpec = z.infer<typeof MailJobSpecSchema>;
export type MailJobInput = z.input<typeof MailJobSpecSchema>;

export const JobSpecSchema = z.discriminatedUnion('kind', [GutenbergJobSpecSchema, MailJobSpecSchema]);
export type JobSpec = z.infer<typeof JobSpecSchema>;
