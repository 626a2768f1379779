// zod/mini, not zod: the same checks and messages (English, configured below as classic zod does it
// when it loads), in a build the CLI's start-up parses in a fraction of the time. A run of `fanout
// mail` with nothing new loads this file and runs its schemas once (docs/BENCHMARKS.md, session 12).
import * as z from 'zod/mini';
import en from 'zod/v4/locales/en.js';
import { MAX_PER_HOST, checkHostName, checkMirrorUrl } from './input-checks';
import { STRATEGIES } from './strategy';
import { NO_IDS, idRangeProblem, idRangeText } from './id-ranges';
import { MAX_RATE_CAP, MIN_RATE_CAP } from './byte-rate';
import { checkMailProxy, checkProxySetting } from './proxy-setting';

// zod's own words for its issues (the web host shows them; describeIssue passes some on), as classic zod sets them.
z.config(en());

/** A string field checked by one of shared/input-checks.ts's checks (one message for CLI, IPC and forms). */
export function checkedString(check: (value: string) => string | null) {
  return z.string().check(
    z.superRefine((value, ctx) => {
      const problem = check(value);
      if (problem) ctx.addIssue({ code: 'custom', message: problem });
    }),
  );
}

/** A whole number with these checks: `z.number().int()…` of classic zod, check for check (the same issues). */
function int(...checks: Array<z.core.$ZodCheck<number>>) {
  return z.number().check(z.int(), ...checks);
}

export const StrategySchema = z.enum(STRATEGIES);

/**
 * Ebook numbers and ranges as a user types them: "11,1342,2000-2100". Parsed into sorted,
 * de-duplicated ranges so a huge range never becomes a huge array.
 */
const rangeEnd = z.number().check(z.refine((n) => Number.isInteger(n), { message: 'is not a whole number; give one' }));
export const IdRangeSchema = z.object({ from: rangeEnd, to: rangeEnd }).check(
  // The words of the CLI's --ids (shared/id-ranges.ts), one wording wherever a range is typed: a
  // whole number too large for an ebook, below 1 or a range backwards is said of the range.
  z.superRefine((r, ctx) => {
    if (!Number.isInteger(r.from) || !Number.isInteger(r.to)) return;
    const problem = idRangeProblem(idRangeText(r), r.from, r.to);
    if (problem) ctx.addIssue({ code: 'custom', message: problem });
  }),
);
export type IdRange = z.infer<typeof IdRangeSchema>;

export const CatalogSelectionSchema = z.object({
  /** Absent: no filter on numbers. Never empty: an empty list would read as "the whole catalog". */
  ids: z.optional(
    z.array(IdRangeSchema).check(
      z.superRefine((ids, ctx) => {
        if (ids.length === 0) ctx.addIssue({ code: 'custom', message: NO_IDS });
      }),
    ),
  ),
  author: z.optional(z.string()),
  title: z.optional(z.string()),
  language: z.optional(z.string()),
  subject: z.optional(z.string()),
  type: z.optional(z.string()),
  /** Stop after this many books (handy for samples and the speedup lab). */
  limit: z.optional(int(z.positive())),
});
export type CatalogSelection = z.infer<typeof CatalogSelectionSchema>;

export const MirrorUrlSchema = checkedString(checkMirrorUrl);

/** How far to trust an ftps:// or https:// mirror's certificate. Checks are on by default. */
export const MirrorTlsSchema = z.strictObject({
  /** Accept a self-signed or otherwise untrusted certificate (same name as for mail accounts). */
  allowUntrustedCert: z._default(z.boolean(), false),
  /** PEM file of extra CA certificates to trust, e.g. the mirror's own self-signed certificate. */
  caFile: z.optional(z.string().check(z.minLength(1))),
  /** ftps:// only: implicit TLS instead of AUTH TLS (default: implicit on port 990 only). */
  ftpsImplicit: z.optional(z.boolean()),
});
export type MirrorTls = z.infer<typeof MirrorTlsSchema>;

export const ScrubExecutorSchema = z.enum(['threads', 'processes']);
export type ScrubExecutor = z.infer<typeof ScrubExecutorSchema>;

export const GutenbergJobSpecSchema = z.object({
  kind: z.literal('gutenberg'),
  /** Path of pg_catalog.csv or of a simple `author,FileNumber,Title` CSV. */
  catalog: z.string().check(z.minLength(1)),
  mirror: MirrorUrlSchema,
  mirrorTls: z._default(MirrorTlsSchema, { allowUntrustedCert: false }),
  selection: z._default(CatalogSelectionSchema, {}),
  workers: z._default(int(z.gte(1), z.lte(64)), 4),
  /**
   * `--workers auto`: start with 4 connections and add more while throughput grows (core/auto-workers.ts);
   * `workers` is then the most it may open. Queue and adaptive strategies only.
   */
  autoWorkers: z._default(z.boolean(), false),
  strategy: z._default(StrategySchema, 'adaptive'),
  outDir: z.string().check(z.minLength(1)),
  /** Scrubber pool size; defaults to the number of CPUs, capped. */
  scrubWorkers: z.optional(int(z.gte(1), z.lte(32))),
  scrubExecutor: z._default(ScrubExecutorSchema, 'threads'),
  /** Per-operation network timeout, ms. */
  timeoutMs: z._default(int(z.gte(100), z.lte(600_000)), 30_000),
  /** Attempts per item for transient errors (1 = no retry). */
  attempts: z._default(int(z.gte(1), z.lte(20)), 5),
  /**
   * Per-item timeout, ms (the stragglers lab varies it): an attempt at a book not done by then is
   * cut and the book tried again on a new connection (a retryable TIMEOUT, within `attempts`).
   * Books are then fetched one request each (a deadline cannot cut one book out of a pipelined
   * batch). Absent: none (the stall and per-operation timeouts still apply).
   */
  itemTimeoutMs: z.optional(int(z.gte(100), z.lte(3_600_000))),
  /**
   * Bandwidth cap for the whole job (every connection together), bytes per second; absent: none.
   * Changeable while the job runs (job:set-rate).
   */
  limitRate: z.optional(int(z.gte(MIN_RATE_CAP), z.lte(MAX_RATE_CAP))),
  /**
   * Wait between requests to the mirror, ms (× a random 0.5–1.5, as wget's --wait with --random-wait),
   * across all workers; books are then fetched one request each, not in pipelined batches.
   */
  waitMs: z.optional(int(z.gte(0), z.lte(600_000))),
  /**
   * At most this many connections to the mirror's server (`--max-per-host`), whatever `workers`
   * says. Absent: `workers`, lowered to what the server accepted when it last refused one of ours
   * (learned and kept by the host; electron/engine/net/host-limits.ts). Given, it overrides that.
   */
  maxPerHost: z.optional(int(z.gte(1), z.lte(MAX_PER_HOST))),
  /**
   * Books downloaded and not yet cleaned, at most (the bound between the download and clean stages;
   * a downloader waits while it is reached); 'unbounded' never waits. Absent: twice the larger of
   * the two stages' worker counts. The queue lab varies it.
   */
  scrubQueue: z.optional(z.union([int(z.gte(1), z.lte(100_000)), z.literal('unbounded')])),
  /**
   * Allow Project Gutenberg's main site (www.gutenberg.org) as the mirror, for a job of one book
   * only: its robot policy refuses bulk downloads (shared/gutenberg-mirrors.ts).
   */
  allowMainSite: z._default(z.boolean(), false),
  /**
   * Proxy for the mirror: `env` (HTTPS_PROXY / HTTP_PROXY / NO_PROXY from the environment, for
   * http(s) mirrors), `none`, an http:// proxy URL (http(s) mirrors) or a socks5:// one (ftp(s)
   * mirrors); NO_PROXY still applies.
   */
  proxy: z._default(checkedString(checkProxySetting), 'env'),
});
export type GutenbergJobSpec = z.infer<typeof GutenbergJobSpecSchema>;
export type GutenbergJobInput = z.input<typeof GutenbergJobSpecSchema>;

export const TlsModeSchema = z.enum(['implicit', 'starttls', 'none']);
export type TlsMode = z.infer<typeof TlsModeSchema>;

export const MailAuthSchema = z.discriminatedUnion('method', [
  z.object({ method: z.literal('password'), password: z.string().check(z.minLength(1)) }),
  z.object({ method: z.literal('oauth2'), accessToken: z.string().check(z.minLength(1)) }),
]);
export type MailAuth = z.infer<typeof MailAuthSchema>;

export const MailAccountSchema = z.object({
  host: checkedString(checkHostName),
  port: z.optional(int(z.gte(1), z.lte(65535))),
  tls: z._default(TlsModeSchema, 'implicit'),
  /** Accept a self-signed or otherwise untrusted certificate. Off by default. */
  allowUntrustedCert: z._default(z.boolean(), false),
  user: z.string().check(z.minLength(1)),
  auth: MailAuthSchema,
  /** Connect through this proxy (imapflow's `proxy`): socks5://host:1080, socks4://…, http://host:3128. */
  proxy: z.optional(checkedString(checkMailProxy)),
});
export type MailAccount = z.infer<typeof MailAccountSchema>;

export const MailJobSpecSchema = z.object({
  kind: z.literal('mail'),
  account: MailAccountSchema,
  /** 'all', or folder paths as the server names them (decoded). */
  folders: z._default(z.union([z.literal('all'), z.array(z.string().check(z.minLength(1))).check(z.minLength(1))]), 'all'),
  connections: z._default(int(z.gte(1), z.lte(32)), 4),
  /**
   * `--workers auto`: start with 2 connections and add more while throughput grows, never more than
   * a server refusal showed it accepts (electron/engine/mail/auto-connections.ts); `connections` is
   * then the most it may open. Queue and adaptive strategies only.
   */
  autoWorkers: z._default(z.boolean(), false),
  strategy: z._default(StrategySchema, 'adaptive'),
  outDir: z.string().check(z.minLength(1)),
  timeoutMs: z._default(int(z.gte(100), z.lte(600_000)), 60_000),
});
export type MailJobSpec = z.infer<typeof MailJobSpecSchema>;
export type MailJobInput = z.input<typeof MailJobSpecSchema>;

export const JobSpecSchema = z.discriminatedUnion('kind', [GutenbergJobSpecSchema, MailJobSpecSchema]);
export type JobSpec = z.infer<typeof JobSpecSchema>;
