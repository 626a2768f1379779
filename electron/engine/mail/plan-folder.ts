import type { FetchMessageObject, ImapFlow } from 'imapflow';
import { FolderStore, type MessageMeta } from './folder-store';
import type { MailFolderInfo } from './folders';
import { chunkUids, toUidSet, type SizedUid } from './uid-set';

/** One folder of a run: its store, the generation being archived, and the chunks still out. */
export interface FolderJob {
  info: MailFolderInfo;
  store: FolderStore;
  uidValidity: string;
  /** Chunks handed to the pool and not finished yet; the state is saved when this reaches 0. */
  pendingChunks: number;
  failed: boolean;
  /** Saved to state.json once every chunk is on disk. */
  synced: { uidValidity: string; uidNext: number; highestModseq: string | null; messages: number };
}

/** A UID batch of one folder: one pool item, one UID FETCH. */
export interface MailChunk {
  job: FolderJob;
  /**
   * UIDs not yet accounted for: a message leaves this list when it is on disk (counted done then)
   * or when the server no longer has it (counted skipped). So `uids.length` is exactly what a
   * failure of this chunk leaves undone.
   */
  uids: number[];
  /** First and last UID planned (for labels). */
  first: number;
  last: number;
  bytes: number;
  /** One message of at least `largeMessageBytes`, fetched in partial ranges. */
  large: boolean;
  done: boolean;
}

export interface PlanLimits {
  /** Messages per chunk at most. */
  chunkMessages: number;
  /** Bytes per chunk, about. */
  chunkBytes: number;
  /**
   * Messages this large or larger get a chunk of their own and are fetched in partial ranges of
   * `partBytes` (`BODY.PEEK[]<offset.length>`), streamed to disk: never held whole in memory.
   */
  largeMessageBytes: number;
  partBytes: number;
}

export interface FolderPlan {
  /** Null when nothing changed since the last complete run (no SELECT was sent). */
  job: FolderJob | null;
  chunks: MailChunk[];
  /** Messages of the folder already in the archive (or linked to an older generation's file). */
  alreadyArchived: number;
  recovered: number;
  linked: number;
}

export function normalizeMessageId(raw: string | undefined | null): string | null {
  if (!raw) return null;
  const s = raw.replace(/\s+/g, ' ').trim();
  return s.length > 0 ? s : null;
}

function headerMessageId(headers: Buffer | undefined): string | null {
  if (!headers) return null;
  const text = headers.toString('latin1').replace(/\r?\n[ \t]+/g, ' ');
  const m = /^message-id:[ \t]*(.*)$/im.exec(text);
  return normalizeMessageId(m?.[1]);
}

export function toDate(d: Date | string | undefined): Date {
  if (d instanceof Date) return d;
  if (typeof d === 'string') {
    const parsed = new Date(d);
    if (!Number.isNaN(parsed.getTime())) return parsed;
  }
  return new Date(0);
}

export function formatAddress(env: FetchMessageObject['envelope']): string | null {
  const a = env?.from?.[0];
  if (!a) return null;
  if (a.name && a.address) return `${a.name} <${a.address}>`;
  return a.address ?? a.name ?? null;
}

export function metaOf(m: FetchMessageObject, uidValidity: string): MessageMeta {
  return {
    uid: m.uid,
    uidValidity,
    internalDate: toDate(m.internalDate),
    flags: [...(m.flags ?? [])],
    messageId: normalizeMessageId(m.envelope?.messageId),
    subject: m.envelope?.subject ?? null,
    from: formatAddress(m.envelope),
  };
}

/** True when LIST-STATUS shows nothing changed since the last complete run of this folder. */
export function isUpToDate(info: MailFolderInfo, store: FolderStore): boolean {
  const prev = store.state.synced;
  return Boolean(
    prev &&
      info.uidValidity !== null &&
      prev.uidValidity === info.uidValidity &&
      prev.uidNext === info.uidNext &&
      prev.highestModseq !== null &&
      prev.highestModseq === info.highestModseq &&
      prev.messages === info.messages,
  );
}

/** About how many messages a folder will need fetched (from LIST-STATUS alone, before planning). */
export function estimateNew(info: MailFolderInfo, store: FolderStore): number {
  const prev = store.state.synced;
  if (info.uidNext === null || info.messages === null) return 0;
  if (prev && prev.uidValidity === info.uidValidity) return Math.max(0, Math.min(info.messages, info.uidNext - prev.uidNext));
  return Math.max(0, info.messages - store.countIn(info.uidValidity ?? ''));
}

/**
 * Works out what one folder needs, on the planning connection:
 * - nothing changed since the last complete run (UIDVALIDITY, UIDNEXT, HIGHESTMODSEQ and the
 *   count all equal to what LIST-STATUS said): no command at all;
 * - otherwise EXAMINE (read-only: nothing can set \Seen), bring flags of archived messages up to
 *   date (CHANGEDSINCE when the server has CONDSTORE), list new UIDs with their sizes, adopt
 *   complete files a killed run left without an index line, link messages already archived in an
 *   older generation, and cut the rest into UID chunks.
 */
export async function planFolder(client: ImapFlow, info: MailFolderInfo, store: FolderStore, limits: PlanLimits): Promise<FolderPlan> {
  const prev = store.state.synced;
  const plan: FolderPlan = { job: null, chunks: [], alreadyArchived: 0, recovered: 0, linked: 0 };
  if (isUpToDate(info, store)) {
    plan.alreadyArchived = info.messages ?? 0;
    return plan;
  }

  const mb = await client.mailboxOpen(info.path, { readOnly: true });
  const uv = String(mb.uidValidity);
  const known = store.state.generations.some((g) => g.uidValidity === uv);
  store.generation(uv);
  // A new generation's directory is on record before any of its files exists (a killed run must
  // not guess it back from index lines, whose linked files live in an older generation's directory).
  if (!known) await store.saveState();
  await store.removeTempFiles();
  const job: FolderJob = {
    info,
    store,
    uidValidity: uv,
    pendingChunks: 0,
    failed: false,
    synced: { uidValidity: uv, uidNext: mb.uidNext, highestModseq: mb.highestModseq !== undefined ? String(mb.highestModseq) : null, messages: mb.exists },
  };
  plan.job = job;
  if (mb.exists === 0) return plan;

  // Flags of what is already archived (this generation).
  if (store.countIn(uv) > 0) {
    const since = prev && prev.uidValidity === uv && prev.highestModseq && mb.highestModseq !== undefined && !mb.noModseq ? BigInt(prev.highestModseq) : undefined;
    if (!(since !== undefined && mb.highestModseq === since)) {
      for await (const m of client.fetch('1:*', { uid: true, flags: true }, since !== undefined ? { uid: true, changedSince: since } : { uid: true })) {
        if (m.flags) store.updateFlags(uv, m.uid, m.flags);
      }
    }
  }

  // New UIDs. A previous complete run vouches for everything below its UIDNEXT.
  const start = prev && prev.uidValidity === uv ? Math.max(1, prev.uidNext) : 1;
  // Identities (to link messages already archived in an older generation) only after a UIDVALIDITY change.
  const needIdentity = store.hasOtherGenerations(uv);
  // Per new message only its UID and size are kept, unless identities are needed.
  const fresh: Array<SizedUid & { internalDate?: Date; flags?: string[]; messageId?: string | null }> = [];
  if (mb.uidNext > start) {
    const query = needIdentity ? { uid: true, size: true, internalDate: true, flags: true, headers: ['message-id'] } : { uid: true, size: true };
    for await (const m of client.fetch(`${start}:*`, query, { uid: true })) {
      if (m.uid < start) continue; // "n:*" always returns the last message
      if (store.has(uv, m.uid)) continue;
      fresh.push(
        needIdentity
          ? { uid: m.uid, size: m.size ?? 0, internalDate: toDate(m.internalDate), flags: [...(m.flags ?? [])], messageId: headerMessageId(m.headers) }
          : { uid: m.uid, size: m.size ?? 0 },
      );
    }
  }
  if (needIdentity) await store.loadIdentities(uv);
  const orphans = new Set(await store.orphanUids(uv));
  const toAdopt: number[] = [];
  const toFetch: SizedUid[] = [];
  for (const m of fresh) {
    if (orphans.has(m.uid)) {
      toAdopt.push(m.uid);
      continue;
    }
    const same = needIdentity && m.internalDate ? store.findSame(uv, m.messageId ?? null, m.size, m.internalDate) : undefined;
    if (same) {
      await store.link(same, uv, m.uid, m.flags ?? []);
      plan.linked++;
      continue;
    }
    toFetch.push({ uid: m.uid, size: m.size });
  }
  store.releaseIdentities();
  if (toAdopt.length > 0) {
    for await (const m of client.fetch(toUidSet(toAdopt), { uid: true, flags: true, internalDate: true, envelope: true }, { uid: true })) {
      await store.adoptOrphan(metaOf(m, uv));
      plan.recovered++;
    }
  }
  plan.alreadyArchived = Math.max(0, mb.exists - toFetch.length);
  const small: SizedUid[] = [];
  for (const m of toFetch) {
    if (m.size >= limits.largeMessageBytes) plan.chunks.push({ job, uids: [m.uid], first: m.uid, last: m.uid, bytes: m.size, large: true, done: false });
    else small.push(m);
  }
  for (const c of chunkUids(small, limits.chunkMessages, limits.chunkBytes)) {
    plan.chunks.push({ job, uids: c.uids, first: c.uids[0]!, last: c.uids[c.uids.length - 1]!, bytes: c.bytes, large: false, done: false });
  }
  job.pendingChunks = plan.chunks.length;
  return plan;
}

export function chunkLabel(chunk: Pick<MailChunk, 'job' | 'first' | 'last'>): string {
  const { first, last } = chunk;
  return `${chunk.job.info.path} ${first === last ? first : `${first}-${last}`}`;
}
