import type { ImapFlow } from 'imapflow';

/**
 * A literal's bytes as they came off the socket, without imapflow's copy into one Buffer.
 *
 * imapflow's stream (handler/imap-stream.js, 2.10.2, pinned) collects a literal's bytes as views
 * of the socket's chunks and joins them with `Buffer.concat` when the literal is complete: every
 * message body is copied once more before it is written and hashed (a new external allocation per
 * message, ~5–7 % of the mail main thread at 5,000 messages in session 13's profiles, and external
 * memory that drives V8's Mark-Compacts). Here a literal of one piece (a small message inside one
 * chunk) is handed on as that view, and a literal of several pieces as the array of its views
 * (message-file.ts `MessageBytes`): the body row's writer writes them with writev and hashes them piece by piece
 * (message-file.ts). The views keep their chunks: the socket's, TLS's and zlib's chunks are new
 * buffers each, never written again (imapflow keeps views of them for its lines too).
 *
 * Nothing of imapflow's own ever sees an array: `handleResponse` (the class's, patched once here)
 * joins any array before imapflow reads the line, so only a hook in front of it (body-rows.ts
 * through imapflow-rounds.ts `takeBodyRows`) takes the pieces, and a line it does not take reaches
 * imapflow as before, with the same bytes.
 */

/** imapflow's stream states (handler/imap-stream.js). */
const LITERAL = 0x02;
const LINE = 0x01;

interface StreamInternals {
  state: number;
  destroyed: boolean;
  literalWaiting: number;
  literalBuffer: Buffer[];
  literals: Array<Buffer | Buffer[]>;
  processChunkSegment(chunk: Buffer, startPos: number): Promise<number | null> | number | null;
}

interface ClientInternals {
  streamer: StreamInternals;
  handleResponse(data: { literals?: Array<Buffer | Buffer[]> } | undefined): Promise<unknown>;
}

const joinedPrototypes = new WeakSet<object>();

/** Set on a new client, before `connect()`: its literals are handed on in pieces (see above). */
export function keepLiteralPieces(client: ImapFlow): void {
  const c = client as unknown as ClientInternals;
  joinBeforeImapflow(Object.getPrototypeOf(client) as ClientInternals);
  const streamer = c.streamer;
  const own = Object.getPrototypeOf(streamer).processChunkSegment as StreamInternals['processChunkSegment'];
  // imapflow's LITERAL case, but the pieces are not joined (imap-stream.js processChunkSegment).
  streamer.processChunkSegment = function (this: StreamInternals, chunk, startPos) {
    if (this.state !== LITERAL || this.destroyed || startPos >= chunk.length) return own.call(this, chunk, startPos);
    const remainingInChunk = chunk.length - startPos;
    const bytesToRead = Math.min(remainingInChunk, this.literalWaiting);
    this.literalBuffer.push(startPos === 0 && bytesToRead === chunk.length ? chunk : chunk.subarray(startPos, startPos + bytesToRead));
    this.literalWaiting -= bytesToRead;
    if (this.literalWaiting !== 0) return null;
    const pieces = this.literalBuffer;
    this.literals.push(pieces.length === 1 ? pieces[0]! : pieces);
    this.literalBuffer = [];
    this.state = LINE;
    return remainingInChunk > bytesToRead ? startPos + bytesToRead : null;
  };
}

/** imapflow's `handleResponse` (the class's: every hook calls it last) joins literals left in pieces. */
function joinBeforeImapflow(proto: ClientInternals): void {
  if (joinedPrototypes.has(proto)) return;
  joinedPrototypes.add(proto);
  const handle = proto.handleResponse;
  proto.handleResponse = function (this: ClientInternals, data) {
    const literals = data?.literals;
    if (literals) for (let i = 0; i < literals.length; i++) if (Array.isArray(literals[i])) literals[i] = Buffer.concat(literals[i] as Buffer[]);
    return handle.call(this, data);
  };
}
