import type { ImapFlow } from 'imapflow';
import type { MailAccount } from '../../../shared/job-spec';
import { FanoutError } from '../core/fanout-error';
import type { WorkerSession } from '../core/run-pool';
import type { WorkerContext } from '../core/worker-context';
import { accountWhere, closeClient, openClient } from './connect';
import { mapImapError } from './imap-errors';
import { chunkLabel, metaOf, type FolderJob, type MailChunk } from './plan-folder';
import { toUidSet } from './uid-set';

export interface MailWorkerOptions {
  account: MailAccount;
  timeoutMs: number;
  /** Called when a chunk's last message is on disk (the folder's state may then be saved). */
  onChunkDone(chunk: MailChunk): Promise<void>;
  /** Messages the server no longer had when their chunk was fetched (expunged meanwhile). */
  onVanished(job: FolderJob, uids: number[]): void;
  /** Called after each message is on disk and indexed (tests and tools hook here). */
  onMessageWritten?(job: FolderJob, uid: number): void;
}

/**
 * One worker: one imapflow connection (reopened after a drop, since an ImapFlow cannot reconnect),
 * folders opened read-only (EXAMINE), and one streamed `UID FETCH <set> (BODY.PEEK[] ...)` per
 * chunk (or per batch of chunks of one folder). Each message is written to disk (and indexed)
 * before the next is parsed, so at most one message is held in memory per connection.
 */
export class MailWorkerSession implements WorkerSession<MailChunk> {
  #client: ImapFlow | null = null;
  readonly #opts: MailWorkerOptions;
  readonly #where: string;
  readonly #signal: AbortSignal;
  readonly #onAbort = () => this.#client?.close();

  private constructor(opts: MailWorkerOptions, signal: AbortSignal) {
    this.#opts = opts;
    this.#where = accountWhere(opts.account);
    this.#signal = signal;
    signal.addEventListener('abort', this.#onAbort, { once: true });
  }

  /** Opens the connection at once, so a refused or surplus connection shows up here (the pool retires it). */
  static async open(opts: MailWorkerOptions, ctx: WorkerContext): Promise<MailWorkerSession> {
    const s = new MailWorkerSession(opts, ctx.signal);
    try {
      await s.#ensureClient();
    } catch (err) {
      await s.close();
      throw err;
    }
    return s;
  }

  async #ensureClient(): Promise<ImapFlow> {
    if (this.#client && this.#client.usable) return this.#client;
    if (this.#client) this.#client.close();
    this.#client = null;
    this.#client = await openClient(this.#opts.account, { signal: this.#signal, timeoutMs: this.#opts.timeoutMs });
    return this.#client;
  }

  async process(chunk: MailChunk, ctx: WorkerContext): Promise<void> {
    await this.#fetch(chunk.job, [chunk], ctx);
  }

  async processBatch(chunks: MailChunk[], ctx: WorkerContext): Promise<void> {
    const byJob = new Map<FolderJob, MailChunk[]>();
    for (const c of chunks) {
      const list = byJob.get(c.job) ?? [];
      list.push(c);
      byJob.set(c.job, list);
    }
    for (const [job, list] of byJob) await this.#fetch(job, list, ctx);
  }

  async #fetch(job: FolderJob, chunks: MailChunk[], ctx: WorkerContext): Promise<void> {
    const { store, uidValidity } = job;
    const folder = job.info.path;
    const wanted = new Set<number>();
    let bytes = 0;
    for (const c of chunks) {
      for (const uid of c.uids) if (!store.has(uidValidity, uid)) wanted.add(uid);
      bytes += c.bytes;
    }
    const label = chunks.length === 1 ? chunkLabel(chunks[0]!) : `${chunkLabel(chunks[0]!)} (+${chunks.length - 1})`;
    try {
      if (wanted.size > 0) {
        ctx.progress.setState('connecting', label);
        const client = await this.#ensureClient();
        if (client.mailbox === false || client.mailbox.path !== folder) {
          const mb = await client.mailboxOpen(folder, { readOnly: true });
          if (String(mb.uidValidity) !== uidValidity) {
            throw new FanoutError('UIDVALIDITY_CHANGED', `Folder ${folder} was recreated on the server during the run (UIDVALIDITY ${uidValidity} → ${mb.uidValidity}); run again to archive its new generation`, { folder });
          }
        }
        ctx.progress.setState('downloading', label);
        ctx.progress.setItemTotal(bytes);
        const query = { uid: true, source: true, flags: true, internalDate: true, envelope: true };
        for await (const m of client.fetch(toUidSet(wanted), query, { uid: true })) {
          if (!m.source || !wanted.has(m.uid) || store.has(uidValidity, m.uid)) continue;
          ctx.progress.addBytes(m.source.length);
          await store.writeMessage(m.source, metaOf(m, uidValidity));
          this.#opts.onMessageWritten?.(job, m.uid);
        }
        const missing = [...wanted].filter((u) => !store.has(uidValidity, u));
        if (missing.length > 0) {
          // Either expunged since planning (fine: nothing to archive) or not sent (an error).
          const still = await client.search({ uid: toUidSet(missing) }, { uid: true });
          const stillThere = Array.isArray(still) ? still.filter((u) => missing.includes(u)) : [];
          const vanished = missing.filter((u) => !stillThere.includes(u));
          if (vanished.length > 0) this.#opts.onVanished(job, vanished);
          if (stillThere.length > 0) {
            throw new FanoutError('SIZE_MISMATCH', `The server did not return ${stillThere.length} message(s) of ${folder} (UID ${toUidSet(stillThere)})`, { folder, uid: stillThere[0] });
          }
        }
      }
    } catch (err) {
      throw mapImapError(err, this.#where, { folder });
    }
    for (const c of chunks) {
      if (c.done) continue;
      c.done = true;
      await this.#opts.onChunkDone(c);
    }
  }

  async close(): Promise<void> {
    this.#signal.removeEventListener('abort', this.#onAbort);
    const c = this.#client;
    this.#client = null;
    if (c) await closeClient(c);
  }
}
