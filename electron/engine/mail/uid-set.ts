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
 * Cuts the messages to fetch into chunks: at most `maxMessages` messages and about `maxBytes`
 * bytes each (a single larger message gets a chunk of its own). Each chunk becomes one UID FETCH.
 */
export function chunkUids(list: SizedUid[], maxMessages: number, maxBytes: number): Array<{ uids: number[]; bytes: number }> {
  const out: Array<{ uids: number[]; bytes: number }> = [];
  let cur: { uids: number[]; bytes: number } = { uids: [], bytes: 0 };
  for (const m of [...list].sort((a, b) => a.uid - b.uid)) {
    if (cur.uids.length > 0 && (cur.uids.length >= maxMessages || cur.bytes + m.size > maxBytes)) {
      out.push(cur);
      cur = { uids: [], bytes: 0 };
    }
    cur.uids.push(m.uid);
    cur.bytes += m.size;
  }
  if (cur.uids.length > 0) out.push(cur);
  return out;
}
