/** Compresses UIDs into an IMAP sequence set ("1:5,7,9:12"); input need not be sorted. */
export function toUidSet(uids: Iterable<number>): string {
  const sorted = [...new Set(uids)].sort((a, b) => a - b);
  const parts: string[] = [];
  for (let i = 0; i < sorted.length; ) {
    let j = i;
    while (j + 1 < sorted.length && sorted[j + 1] === sorted[j]! + 1) j++;
    parts.push(i === j ? String(sorted[i]) : `${sorted[i]}:${sorted[j]}`);
    i = j + 1;
  }
  return parts.join(',');
}

export interface SizedUid {
  uid: number;
  size: number;
}

/**
 * Longest UID set a chunk's FETCH carries, about (characters): RFC 7162 asks clients to keep a
 * command line within 8,192 octets, and servers cut longer ones (a sparse folder gives a set of
 * single UIDs: 1,000 seven-digit ones would be 8,000).
 */
export const MAX_SET_CHARS = 4000;

/**
 * Cuts the messages to fetch into chunks: at most `maxMessages` messages, about `maxBytes` bytes
 * (a single larger message gets a chunk of its own) and a UID set of at most about `MAX_SET_CHARS`
 * characters each. Each chunk becomes one UID FETCH.
 */
export function chunkUids(list: SizedUid[], maxMessages: number, maxBytes: number): Array<{ uids: number[]; bytes: number }> {
  const out: Array<{ uids: number[]; bytes: number }> = [];
  let cur: { uids: number[]; bytes: number } = { uids: [], bytes: 0 };
  /** An upper bound of the length of `toUidSet(cur.uids)`: a UID that starts a run adds itself, a comma and room for the run's end. */
  let setChars = 0;
  let prev = -1;
  for (const m of [...list].sort((a, b) => a.uid - b.uid)) {
    const cost = m.uid === prev + 1 ? 0 : 2 * String(m.uid).length + 2;
    if (cur.uids.length > 0 && (cur.uids.length >= maxMessages || cur.bytes + m.size > maxBytes || setChars + cost > MAX_SET_CHARS)) {
      out.push(cur);
      cur = { uids: [], bytes: 0 };
      setChars = 0;
    }
    setChars += cur.uids.length === 0 ? 2 * String(m.uid).length + 2 : cost;
    cur.uids.push(m.uid);
    cur.bytes += m.size;
    prev = m.uid;
  }
  if (cur.uids.length > 0) out.push(cur);
  return out;
}
