import type { FTPError, FTPResponse } from 'basic-ftp';
import type { BatchBook } from './ftp-batch-book';
import { statCommand, timedTransferCommands, transferCommands, type CommandLine } from './ftp-command-lines';
import { preliminaryFits, preliminaryNames, replyFits, type PipelinedCommand } from './ftp-replies';

/**
 * `STAT`s outstanding at once. The listings come back on the control connection, and basic-ftp
 * closes a connection whose pending reply text passes 64 KiB: 32 book folders (a few hundred bytes
 * to ~2 KB each) stay well under it. A batch of 64 pays one more round trip for its second half,
 * hidden behind the first half's transfers.
 */
export const STAT_WINDOW = 32;

/**
 * Books whose `EPSV` + `RETR` are at the server at once. The server runs them one after the other
 * (one passive port at a time), so what matters is that the next pair is already queued when a
 * transfer ends: its `229` then follows the `226` with no gap. A pair's turn comes one round trip
 * after it is sent and each transfer takes about half a round trip (the data connection's setup)
 * plus its bytes, so 3 keep the queue fed; 4 leaves a margin.
 */
export const TRANSFER_WINDOW = 4;

/** A command at the server, waiting for its reply: the book it is for, and whether it is a guessed transfer. */
export interface Sent {
  cmd: PipelinedCommand;
  book: BatchBook;
  guess?: true;
  /** Written while a transfer was at the server (pipelined): see `replyFits`. */
  behindTransfer?: true;
  /** RETR: its data connection ended without all the data before its final reply (see markCut). */
  cut?: true;
  /** NOOP: written after a cut transfer (see markCut), not the probe. */
  marker?: true;
  /** NOOP: answered while the RETR before it got no final reply: it proves nothing about pipelining. */
  afterCut?: true;
}

/** A reply matched to the command it answers; `outOfStep`: it fits none (what was wrong, for the log). */
export type MatchedReply = { kind: 'preliminary'; sent: Sent } | { kind: 'final'; sent: Sent } | { kind: 'outOfStep'; what: string };

/**
 * The commands of one pipelined batch (ftp-batch.ts), in the order they go out and are answered:
 * which ones may be written next (the listings, the transfers in batch order, the first write's
 * guesses; within STAT_WINDOW and the transfer window), and which command a reply answers (the
 * oldest one sent, checked with `replyFits`). It writes nothing itself: the batch does.
 */
export class BatchCommandQueue {
  /** Books whose STAT is still to be sent. */
  private readonly statQueue: BatchBook[];
  /** Books whose guessed transfer is still to be sent (with the first write). */
  private readonly guessQueue: BatchBook[] = [];
  /** Listed books waiting for their transfer to be sent, in batch order (the front goes first once its sink is open). */
  private readonly queued: BatchBook[] = [];
  /** Commands written, oldest first: the next final reply answers the first. */
  private readonly sent: Sent[] = [];
  private statsOut = 0;
  private transfersOut = 0;

  constructor(books: BatchBook[]) {
    this.statQueue = [...books];
  }

  /** Guessed transfers for these books go out with the first write (in the order given). */
  addGuesses(books: BatchBook[]): void {
    this.guessQueue.push(...books);
  }

  /** A listed book: its transfer goes out once it is `ready` and every book before it has gone. */
  addTransfer(book: BatchBook): void {
    this.queued.push(book);
  }

  /** STAT gives no listing here: the books not listed yet are taken out (returned). */
  dropStats(): BatchBook[] {
    return this.statQueue.splice(0);
  }

  /** Nothing at the server, nothing left to send. */
  get idle(): boolean {
    return this.sent.length === 0 && this.statQueue.length === 0 && this.queued.every((b) => b.result !== null);
  }

  /**
   * The transfer of `book` (its own, or its guessed one: one at a time at the server) ended without
   * all its data while its RETR still waits for its final reply, which may never come (pure-ftpd
   * sends none after a transfer it could not finish). Marks that RETR and queues a `NOOP` (the
   * caller writes it) whose `200` then answers for both (see match). False when the RETR was answered.
   */
  markCut(book: BatchBook): boolean {
    const retr = this.sent.find((s) => s.cmd === 'RETR' && s.book === book);
    if (!retr || retr.cut) return false;
    retr.cut = true;
    this.sent.push({ cmd: 'NOOP', book, marker: true });
    return true;
  }

  /** The book whose transfer the server runs now (the oldest RETR not answered). */
  get activeTransfer(): BatchBook | undefined {
    return this.sent.find((s) => s.cmd === 'RETR')?.book;
  }

  /**
   * The next write's commands, recorded as sent. Unless the server is known to read commands during
   * a transfer in order (`pipelined`), nothing goes out while a transfer or the probe is at the
   * server: commands go out only when it is idle, at most one transfer, last. A book whose transfer
   * cannot go (no EPSV here) is handed to `noTransfer`.
   */
  next(o: { pipelined: boolean; statWorks: boolean; epsvWorks: boolean; root: string }, noTransfer: (book: BatchBook) => void): CommandLine[] {
    // The probe's answer decides how the next commands go: wait for it (it follows the 226 at once).
    if (!o.pipelined && (this.transfersOut > 0 || this.sent.some((x) => x.cmd === 'NOOP'))) return [];
    const window = o.pipelined ? TRANSFER_WINDOW : 1;
    const cmds: CommandLine[] = [];
    if (!o.pipelined) this.pushStats(cmds, o.statWorks);
    // In batch order, so books land in the order given (a later book never overtakes one whose sink is still opening).
    while (this.transfersOut < window && this.queued.length > 0) {
      const book = this.queued[0]!;
      if (book.result) {
        this.queued.shift();
        continue;
      }
      if (book.phase !== 'ready') break; // its sink is still opening: later books wait (batch order)
      this.queued.shift();
      if (!o.epsvWorks) {
        noTransfer(book);
        continue;
      }
      if (book.startAt > 0) book.restOk = new Promise<boolean>((resolve) => (book.settleRest = resolve));
      this.pushTransfer(cmds, book, book.remotePath, false);
    }
    if (o.pipelined) this.pushStats(cmds, o.statWorks);
    // The first write: the first books' `N-0.txt`, right behind their STATs (see openGuesses in ftp-book-sinks.ts).
    while (this.transfersOut < window && this.guessQueue.length > 0) {
      const book = this.guessQueue.shift()!;
      if (book.result || book.guessState !== 'pending') continue;
      this.pushTransfer(cmds, book, `${o.root}/${book.guess!.cand.relPath}`, true);
    }
    return cmds;
  }

  /** A `NOOP` behind the transfer at the head of the queue (the probe); false when none is there. */
  addProbe(): boolean {
    const head = this.sent[0];
    if (head?.cmd !== 'RETR') return false;
    this.sent.push({ cmd: 'NOOP', book: head.book });
    return true;
  }

  /**
   * The command `res` answers. A preliminary reply (150) belongs to the transfer at the head of the
   * queue and must name its file (and size, for a whole file) where the server says them; a final
   * reply answers the oldest command and must be one that command can get (`replyFits`).
   */
  match(res: FTPResponse | FTPError, root: string): MatchedReply {
    if (res.code < 200) {
      const head = this.sent[0];
      if (!preliminaryFits(head?.cmd, res.code)) return { kind: 'outOfStep', what: `${res.code} while waiting for the reply to ${head?.cmd ?? 'nothing'}` };
      // A 150 that names another file than the book's: matched to the wrong book.
      const book = head!.book;
      const guessed = head!.guess === true && book.guessState !== 'confirmed';
      const path = guessed ? `${root}/${book.guess!.cand.relPath}` : book.remotePath;
      if (path && !preliminaryNames(res.message, path)) return { kind: 'outOfStep', what: `RETR ${path} answered with ${firstLine(res.message)}` };
      return { kind: 'preliminary', sent: head! };
    }
    const sent = this.sent.shift();
    if (!sent) return { kind: 'outOfStep', what: `an unexpected reply: ${res.message.slice(0, 80)}` };
    // A cut transfer's RETR that got no final reply (pure-ftpd), and the NOOP right behind it
    // answered: a 200 answers nothing else, so the server is in step (the RETR is taken as failed).
    if (sent.cmd === 'RETR' && sent.cut && res.code === 200 && this.sent[0]?.cmd === 'NOOP') {
      this.transfersOut--;
      return { kind: 'final', sent: { ...this.sent.shift()!, afterCut: true } };
    }
    // Every reply must be one its command can get: otherwise replies and commands are out of step.
    if (!replyFits(sent.cmd, res.code, sent.behindTransfer === true)) return { kind: 'outOfStep', what: `${sent.cmd} answered with ${firstLine(res.message)}` };
    if (sent.cmd === 'STAT') this.statsOut--;
    else if (sent.cmd === 'RETR') this.transfersOut--;
    return { kind: 'final', sent };
  }

  private pushStats(cmds: CommandLine[], statWorks: boolean): void {
    while (statWorks && this.statsOut < STAT_WINDOW && this.statQueue.length > 0) {
      const book = this.statQueue.shift()!;
      cmds.push(statCommand(book.remoteDir));
      this.sent.push({ cmd: 'STAT', book });
      this.statsOut++;
    }
  }

  /**
   * A book's transfer: for a whole file, MDTM (the time its `.part.meta` records, at no extra round
   * trip), EPSV and RETR; a resume (not sent today: a kept part goes to the one-book path) EPSV,
   * REST and RETR.
   */
  private pushTransfer(cmds: CommandLine[], book: BatchBook, remotePath: string, guess: boolean): void {
    const behind = this.transfersOut > 0;
    for (const c of guess || book.startAt === 0 ? timedTransferCommands(remotePath) : transferCommands(remotePath, book.startAt)) {
      cmds.push(c);
      this.sent.push({ cmd: c.cmd, book, ...(guess ? { guess: true as const } : {}), ...(behind ? { behindTransfer: true as const } : {}) });
    }
    this.transfersOut++;
  }
}

function firstLine(message: string): string {
  return message.split('\n')[0]!.slice(0, 80);
}
