import type { FetchMessageObject, FetchQueryObject, ImapFlow } from 'imapflow';
import { FanoutError } from '../core/fanout-error';
import type { MailFolderTally } from '../../../shared/events';
import type { FolderStore } from './folder-store';
import type { MailFolderInfo } from './folders';
import type { SyncedState } from './generations';
import { headerMessageId, metaOf, storedFlags, toDate } from './message-meta';
import { examineFolder, examineWithSizes } from './imapflow-rounds';
import { chunkUids, toUidSet, type SizedUid } from './uid-set';

/** One folder's account of a run (the summary's shape, in shared/); `runMailJob` checks it against the index. */
export type FolderTally = MailFolderTally;

/** One folder of a run: its store, the generation being archived, and the chunks still out. */
export interface FolderJob {
  info: MailFolderInfo;
  store: FolderStore;
  uidValidity: string;
  /** Chunks handed to the pool and not finished yet; the state is saved when this reaches 0. */
  pendingChunks: number;
  failed: boolean;
  /** Saved to state.json once every chunk is on disk and the folder reconciles. */
  synced: SyncedState;
  tally: FolderTally;
  /** The UIDs the server held when the folder was planned (checked against the index at the end). */
  serverUids: number[];
  /**
   * RFC822.SIZE of each message to fetch, as planned: a body of another length may not be that
   * message (Courier serves a message expunged by another session as a 129-byte "message
   * unavailable" placeholder), so it is held in its temp file until the server, asked again, still
   * lists the UID (mail-worker.ts).
   */
  sizes: Map<number, number>;
  vanished: Set<number>;
}

/** An archived message's file, by UID and the file its index line names (relative to the folder's directory). */
export interface ArchivedFile {
  uid: number;
  file: string;
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
  /**
   * UIDs at which a try of this chunk broke off (the first the server had not returned when its
   * FETCH failed): the next tries fetch them last, each alone (mail-worker.ts `#fetchSmall`).
   */
  suspects?: number[];
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
  tally: FolderTally;
  /** Messages of the folder already in the archive (or linked to an older generation's file). */
  alreadyArchived: number;
  recovered: number;
  linked: number;
  /** UIDs whose archived file was lost or damaged (`checkFiles`), fetched again. */
  refetched: number[];
  /** UIDs whose archived file was lost or damaged and that the server no longer holds: not restorable (their index lines are kept). */
  unrestorable: number[];
  /** Files of older generations (UIDVALIDITY → UIDs) lost or damaged: the server no longer holds them (found when the folder's disk was not as recorded). */
  olderDamaged: Map<string, number[]>;
}

/**
 * True when LIST-STATUS shows nothing changed since the last complete run of this folder, and its
 * disk is as that run left it (`store.checkDisk()`, asked before: `isUnchanged`).
 */
export function isUpToDate(info: MailFolderInfo, store: FolderStore): boolean {
  return serverUnchanged(info, store) && store.diskAsSynced;
}

/** `isUpToDate`, asking the disk (a stat and a readdir per generation) only when the server's numbers are those of the last complete run. */
export async function isUnchanged(info: MailFolderInfo, store: FolderStore): Promise<boolean> {
  return serverUnchanged(info, store) && (await store.checkDisk());
}

/**
 * True for a folder an earlier run of all folders found unopenable (state.json `unopenable`) that
 * is listed again without STATUS (no UIDVALIDITY, count nor UIDNEXT: Dovecot's phantom parent):
 * the quick listing takes it as unchanged (nothing to archive, no tally, as the full path skips it).
 * A folder listed with STATUS (re-created) is not; neither is a folder without STATUS that no run
 * found unopenable (RFC 5819 lets a server omit STATUS for a real folder it could not STATUS then).
 */
export function stillUnopenable(info: MailFolderInfo, store: FolderStore): boolean {
  return store.state.unopenable !== undefined && info.uidValidity === null && info.messages === null && info.uidNext === null;
}

function serverUnchanged(info: MailFolderInfo, store: FolderStore): boolean {
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
 * - otherwise EXAMINE (read-only: nothing can set \Seen), list every UID (UID SEARCH ALL), bring
 *   flags of archived messages up to date (CHANGEDSINCE when the server has CONDSTORE), fetch the
 *   sizes of the UIDs not in the archive, adopt files a killed run left without an index line
 *   (when the server's bytes prove their length and last bytes: `adoptOrphans`), link messages already archived in an older generation, and
 *   cut the rest into UID chunks.
 */
export async function planFolder(client: ImapFlow, info: MailFolderInfo, store: FolderStore, limits: PlanLimits, before?: Promise<unknown> | null, repair: readonly ArchivedFile[] = []): Promise<FolderPlan> {
  const prev = store.state.synced;
  const tally: FolderTally = { folder: info.path, onServer: 0, archivedBefore: 0, toFetch: 0, fetched: 0, vanished: 0 };
  const plan: FolderPlan = { job: null, chunks: [], tally, alreadyArchived: 0, recovered: 0, linked: 0, refetched: [], unrestorable: [], olderDamaged: new Map() };
  if (repair.length === 0 && isUpToDate(info, store)) {
    plan.alreadyArchived = tally.onServer = tally.archivedBefore = info.messages ?? 0;
    return plan;
  }

  // A folder with nothing archived (its first run: every folder of an account's first run) needs
  // no CONDSTORE: no flags to bring up to date, and the HIGHESTMODSEQ state.json keeps comes from
  // LIST-STATUS. So its EXAMINE sends no ENABLE where CONDSTORE is all ENABLE would turn on
  // (Dovecot): one round trip less before the first message, and no MODSEQ asked per message on
  // this connection. A folder this connection plans later, selected by then, is planned without
  // CONDSTORE (every flag fetched, as on Courier): correct, only larger.
  // Nothing archived at all: every UID and size is needed whatever EXAMINE says (no generation to
  // link from, none of this one archived), so they are asked in the same write as EXAMINE.
  const empty = store.isEmpty();
  const { mailbox: mb, sizes: withExamine } = empty ? await examineWithSizes(client, info, { condstore: false }) : { mailbox: await examineFolder(client, info, { condstore: true }), sizes: null };
  const condstore = client.enabled.has('CONDSTORE') && !mb.noModseq;
  const uv = await uidValidityOf(client, mb.uidValidity, info);
  const known = store.state.generations.some((g) => g.uidValidity === uv);
  store.generation(uv);
  // Files of this generation the index names but the disk lost or damaged (`checkFiles`: a readdir
  // and a stat per file), found while the server answers; fetched again if the server holds them.
  const lostFiles = store.checkFiles(uv);
  lostFiles.catch(() => undefined);
  // Older generations' files (a folder recreated on the server), when the disk is not as the last run
  // recorded it: the server no longer holds them, so damage there can only be said, not repaired;
  // without this the new DiskRecord would take it in silently.
  const olderFiles = (async () => {
    const out = new Map<string, number[]>();
    if (prev?.emlBytes === undefined || (await store.checkDisk())) return out;
    for (const g of store.state.generations) {
      if (g.uidValidity === uv) continue;
      const bad = await store.checkFiles(g.uidValidity);
      if (bad.length > 0) out.set(g.uidValidity, bad);
    }
    return out;
  })();
  olderFiles.catch(() => undefined);
  // A new generation's directory is on record before any of its files exists (a killed run must
  // not guess it back from index lines, whose linked files live in an older generation's directory).
  // This disk work (state.json, temp files, orphans) runs while the server answers the FETCHes
  // below, and is awaited before anything uses it or any file is written (the plan is not out yet).
  const onDisk = (async () => {
    // The account's folders.json first (`before`, being written while this EXAMINE went out).
    if (before) await before;
    if (!known) await store.saveState();
    await store.removeTempFiles();
    return store.orphanUids(uv);
  })();
  onDisk.catch(() => undefined);
  // Flags of what is already archived (this generation). Fetched for every message (no CONDSTORE,
  // or no earlier MODSEQ), the answer is also the full UID list, and no SEARCH is needed.
  let listed: number[] | null = null;
  if (mb.exists > 0 && store.countIn(uv) > 0) {
    const since = condstore && prev && prev.uidValidity === uv && prev.highestModseq && mb.highestModseq !== undefined ? BigInt(prev.highestModseq) : undefined;
    if (!(since !== undefined && mb.highestModseq === since)) {
      const all: number[] | null = since === undefined ? [] : null;
      for await (const m of client.fetch('1:*', { uid: true, flags: true }, since !== undefined ? { uid: true, changedSince: since } : { uid: true })) {
        if (m.flags) store.updateFlags(uv, m.uid, m.flags);
        all?.push(m.uid);
      }
      if (all) listed = all.sort((a, b) => a - b);
    }
  }
  // Identities (to link messages already archived in an older generation) only after a UIDVALIDITY change.
  const needIdentity = store.hasOtherGenerations(uv);
  const query = needIdentity ? { uid: true, size: true, internalDate: true, flags: true, headers: ['message-id'] } : { uid: true, size: true };
  // Per new message only its UID and size are kept, unless identities are needed.
  const fresh: Array<SizedUid & { internalDate?: Date; flags?: string[]; messageId?: string | null }> = [];
  const keep = (m: FetchMessageObject) =>
    fresh.push(
      needIdentity
        ? { uid: m.uid, size: m.size ?? 0, internalDate: toDate(m.internalDate), flags: storedFlags(m.flags), messageId: headerMessageId(m.headers) }
        : { uid: m.uid, size: m.size ?? 0 },
    );
  // Nothing of this generation archived yet (a first run): one FETCH 1:* of the sizes is both the
  // UID list and what the chunks need (a UID SEARCH ALL less per folder); with nothing archived at
  // all it went out with EXAMINE (`withExamine`), and is asked here only when that was not usable.
  let sized = false;
  if (mb.exists > 0 && listed === null && store.countIn(uv) === 0) {
    sized = true;
    listed = [];
    if (withExamine && !needIdentity) {
      for (const m of withExamine) {
        listed.push(m.uid);
        fresh.push(m);
      }
    } else {
      // A size FETCH given up after EXAMINE (examineWithSizes) may still be answered, its lines
      // arriving during this one's: each UID is taken once.
      const seen = new Set<number>();
      for await (const m of client.fetch('1:*', query, { uid: true })) {
        if (seen.has(m.uid)) continue;
        seen.add(m.uid);
        listed.push(m.uid);
        keep(m);
      }
    }
    listed.sort((a, b) => a - b);
    fresh.sort((a, b) => a.uid - b.uid);
  }
  // What the server holds, by UID: the list every count of this run is checked against. It does
  // not depend on UIDNEXT, which SELECT/EXAMINE may omit (Courier does; RFC 3501: "if this is
  // missing, the client can not make any assumptions").
  const serverUids = mb.exists === 0 ? [] : (listed ?? (await searchAllUids(client)));
  // UIDNEXT for state.json (compared with LIST-STATUS next time): from EXAMINE, else STATUS's.
  const uidNext = (mb.uidNext as number | undefined) ?? info.uidNext ?? (serverUids.length > 0 ? serverUids[serverUids.length - 1]! + 1 : (prev?.uidNext ?? 1));
  const job: FolderJob = {
    info,
    store,
    uidValidity: uv,
    pendingChunks: 0,
    failed: false,
    // HIGHESTMODSEQ from EXAMINE, else LIST-STATUS's (asked before EXAMINE: never newer than what
    // this plan saw, so a change since shows next time and the folder is planned again).
    synced: { uidValidity: uv, uidNext, highestModseq: mb.highestModseq !== undefined ? String(mb.highestModseq) : info.highestModseq, messages: serverUids.length },
    tally,
    serverUids,
    sizes: new Map(),
    vanished: new Set(),
  };
  plan.job = job;
  tally.onServer = serverUids.length;
  plan.olderDamaged = await olderFiles;
  // Files the caller found damaged (`fanout verify mail --repair`: bytes that are not their index
  // line's, which the disk checks above cannot see when size and mtime are kept), when they are this
  // generation's record of the UID: the server holds no other generation's messages.
  const lost = [...new Set([...(await lostFiles), ...repair.filter((r) => store.fileOf(uv, r.uid) === r.file).map((r) => r.uid)])].sort((a, b) => a - b);
  if (lost.length > 0) {
    const held = new Set(serverUids);
    for (const u of lost) (held.has(u) ? plan.refetched : plan.unrestorable).push(u);
    store.forget(uv, plan.refetched);
  }
  if (serverUids.length === 0) {
    await onDisk;
    return plan;
  }

  const missing = serverUids.filter((u) => !store.has(uv, u));
  if (missing.length > 0 && !sized) {
    for await (const m of client.fetch(toUidSet(missing), query, { uid: true })) {
      if (!store.has(uv, m.uid)) keep(m);
    }
  }
  if (needIdentity) await store.loadIdentities(uv);
  // A generation state.json did not name yet has no file of ours (it is recorded before any), so
  // a folder with nothing archived has no orphan to adopt and nothing to link: its plan does not
  // wait for the disk work; its message files do (`writesAfter`), while the body FETCH goes out.
  const noOrphans = !known && empty && !needIdentity;
  if (noOrphans) store.writesAfter(onDisk);
  // A damaged file is no orphan to take back: it is fetched again.
  const orphans = new Set(noOrphans ? [] : await onDisk);
  for (const u of plan.refetched) orphans.delete(u);
  const toAdopt = new Map<number, number>();
  const toFetch: SizedUid[] = [];
  for (const m of fresh) {
    if (orphans.has(m.uid)) {
      toAdopt.set(m.uid, m.size);
      continue;
    }
    const same = needIdentity && m.internalDate ? store.findSame(m.messageId ?? null, m.size, m.internalDate) : undefined;
    // Linked only to a file still whole (one stat; links are made only after a UIDVALIDITY change).
    if (same && (await store.isWhole(same))) {
      await store.link(same, uv, m.uid, m.flags ?? []);
      plan.linked++;
      continue;
    }
    toFetch.push({ uid: m.uid, size: m.size });
  }
  store.releaseIdentities();
  if (toAdopt.size > 0) {
    const orphans = await adoptOrphans(client, store, uv, toAdopt);
    plan.recovered += orphans.recovered;
    toFetch.push(...orphans.toFetch);
  }
  // Messages the UID list named but the size FETCH did not return (expunged in between) are neither archived nor to fetch.
  const fetching = new Set(toFetch.map((m) => m.uid));
  const gone = missing.filter((u) => !store.has(uv, u) && !fetching.has(u));
  for (const u of gone) job.vanished.add(u);
  tally.vanished = gone.length;
  tally.toFetch = toFetch.length;
  tally.archivedBefore = serverUids.length - toFetch.length - gone.length;
  plan.alreadyArchived = tally.archivedBefore;
  const small: SizedUid[] = [];
  for (const m of toFetch) {
    job.sizes.set(m.uid, m.size);
    if (m.size >= limits.largeMessageBytes) plan.chunks.push({ job, uids: [m.uid], first: m.uid, last: m.uid, bytes: m.size, large: true, done: false });
    else small.push(m);
  }
  for (const c of chunkUids(small, limits.chunkMessages, limits.chunkBytes)) {
    plan.chunks.push({ job, uids: c.uids, first: c.uids[0]!, last: c.uids[c.uids.length - 1]!, bytes: c.bytes, large: false, done: false });
  }
  job.pendingChunks = plan.chunks.length;
  return plan;
}

/** Bytes of an orphan's end compared with the server's (`adoptOrphans`); one more is asked for. */
export const ORPHAN_TAIL_BYTES = 256;

/**
 * FETCHes of orphans' ends per folder and run at most (one per file length, one round trip each):
 * orphans of other lengths beyond (a lost index of thousands of files) are taken back at the
 * server's RFC822.SIZE alone, as before session 19, or fetched again.
 */
export const MAX_ORPHAN_PROOFS = 64;

/**
 * Files an interrupted run left without an index line (`orphans`: UID → the server's RFC822.SIZE),
 * taken back when the server proves each the message, not fetched again. A file under its final name
 * was written whole (temp name, fsync, rename) from a body the run accepted, so what is to prove is
 * that it still is: that it ends where the message ends, with its bytes. Its RFC822.SIZE alone cannot
 * say it on a server that only approximates it (Exchange: every orphan was fetched again), and the
 * same length with other bytes (data a power loss did not keep on a disk whose fsync does not reach
 * the platter) passed it. So the server is asked for the message's bytes from the file's last
 * `ORPHAN_TAIL_BYTES` on, one more than the file holds there (`BODY.PEEK[]<n.257>`, one FETCH per
 * file length): the same bytes, none more, prove its length and its last bytes (not every byte: a
 * file damaged in the middle at its length passes, as it passed RFC822.SIZE). Its line keeps the RFC822.SIZE the
 * server announced (`serverSize`), as a fetched message's does. The items FETCH's and the proof's
 * rows are merged by UID (a server may split one message's answer, RFC 3501 7.4.2: each row was
 * taken on its own before, a second line with no flags or no INTERNALDATE), and a row of a UID not
 * asked for (an unsolicited FETCH) is none of these. An orphan without its FLAGS and INTERNALDATE,
 * or not proven, is fetched again (which replaces its file); one the server no longer returns is
 * neither (vanished).
 */
async function adoptOrphans(client: ImapFlow, store: FolderStore, uv: string, orphans: ReadonlyMap<number, number>): Promise<{ recovered: number; toFetch: SizedUid[] }> {
  const toFetch: SizedUid[] = [];
  const rows = await mergedRows(client, orphans.keys(), { uid: true, flags: true, internalDate: true, envelope: true });
  const ends = new Map<number, { size: number; tail: Buffer }>();
  const byLength = new Map<number, number[]>();
  for (const [uid, m] of rows) {
    const end = m.flags !== undefined && m.internalDate !== undefined ? await store.orphanEnd(uv, uid, ORPHAN_TAIL_BYTES) : null;
    if (!end) {
      toFetch.push({ uid, size: orphans.get(uid)! });
      continue;
    }
    ends.set(uid, end);
    const same = byLength.get(end.size);
    if (same) same.push(uid);
    else byLength.set(end.size, [uid]);
  }
  const proven = new Set<number>();
  let proofs = 0;
  for (const [size, uids] of byLength) {
    if (proofs++ >= MAX_ORPHAN_PROOFS) {
      for (const uid of uids) if (orphans.get(uid) === size) proven.add(uid);
      continue;
    }
    const start = Math.max(0, size - ORPHAN_TAIL_BYTES);
    const asked = new Set(uids);
    for await (const m of client.fetch(toUidSet(asked), { uid: true, source: { start, maxLength: ORPHAN_TAIL_BYTES + 1 } }, { uid: true })) {
      // Only the body item at this origin proves anything (`BODY[]<start>`, imapflow's partialOrigins):
      // not a row of the UID without it (an unsolicited FLAGS change), read as an empty body before.
      const origin = (m as { partialOrigins?: Map<string, number> }).partialOrigins?.get('');
      if (asked.has(m.uid) && origin === start && m.source?.equals(ends.get(m.uid)!.tail)) proven.add(m.uid);
    }
  }
  let recovered = 0;
  for (const [uid, m] of rows) {
    const end = ends.get(uid);
    if (!end) continue;
    if (proven.has(uid) && (await store.adoptOrphan(metaOf(m, uv), end.size, orphans.get(uid)))) recovered++;
    else toFetch.push({ uid, size: orphans.get(uid)! });
  }
  return { recovered, toFetch };
}

/**
 * `UID FETCH <uids> <query>`'s rows merged by UID (a server may send one message's items in several
 * responses), only of the UIDs asked for.
 */
async function mergedRows(client: ImapFlow, uids: Iterable<number>, query: FetchQueryObject): Promise<Map<number, FetchMessageObject>> {
  const want = new Set(uids);
  const rows = new Map<number, FetchMessageObject>();
  if (want.size === 0) return rows;
  for await (const m of client.fetch(toUidSet(want), query, { uid: true })) {
    if (!want.has(m.uid)) continue;
    const had = rows.get(m.uid);
    if (!had) {
      rows.set(m.uid, m);
      continue;
    }
    const merged: Record<string, unknown> = { ...had };
    for (const [k, v] of Object.entries(m)) if (v !== undefined) merged[k] = v;
    rows.set(m.uid, merged as unknown as FetchMessageObject);
  }
  return rows;
}

/**
 * The UIDVALIDITY of the folder just EXAMINEd on `client`: EXAMINE's, else (RFC 3501 requires it in
 * EXAMINE's answer; without it a generation "undefined" was archived) a STATUS asked now, after the
 * EXAMINE. Not the listing's value: a folder deleted and recreated since the listing would show the
 * listed value again, its new messages taken for the archive's same UIDs (session 17's stand-in
 * did that; examine-no-uidvalidity-recreated.test.ts). What is left unseen on such a server: a folder
 * recreated between the EXAMINE's answer and the STATUS's (one round trip). Neither answers one:
 * the folder cannot be archived by UID, and fails naming it. Costs nothing on a server that follows
 * RFC 3501 (Dovecot, Cyrus, Courier: no STATUS sent).
 */
export async function uidValidityOf(client: ImapFlow, examined: bigint | number | undefined | null, info: Pick<MailFolderInfo, 'path'>): Promise<string> {
  if (examined !== undefined && examined !== null) return String(examined);
  const st = await client.status(info.path, { uidValidity: true });
  if (st && st.uidValidity !== undefined && st.uidValidity !== null) return String(st.uidValidity);
  throw new FanoutError('INTERNAL', `The server gave no UIDVALIDITY for ${info.path} (neither EXAMINE nor STATUS): its messages cannot be archived by UID`, { folder: info.path });
}

/** `UID SEARCH ALL`: every UID of the selected folder, ascending. */
async function searchAllUids(client: ImapFlow): Promise<number[]> {
  const found = await client.search({ all: true }, { uid: true });
  return (Array.isArray(found) ? [...found] : []).sort((a, b) => a - b);
}

export function chunkLabel(chunk: Pick<MailChunk, 'job' | 'first' | 'last'>): string {
  const { first, last } = chunk;
  return `${chunk.job.info.path} ${first === last ? first : `${first}-${last}`}`;
}
