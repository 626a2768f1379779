// The few IMAP response lines the quick listing reads (quick-list.ts): the greeting's
// capabilities, a tagged answer, `* LIST` and `* STATUS`. Anything else it cannot read exactly
// (a literal, an odd token) is a reason to fall back to imapflow, never a guess.

/** One token of a response line: an atom, a string (quoted), a parenthesised list, or NIL. */
export type Token = { atom: string } | { str: string } | { list: Token[] } | null;

/** The tokens of `text`, or null when it holds anything this reader does not handle (a literal). */
export function tokenize(text: string): Token[] | null {
  const root: Token[] = [];
  const stack: Token[][] = [root];
  let i = 0;
  while (i < text.length) {
    const c = text[i]!;
    const top = stack[stack.length - 1]!;
    if (c === ' ') {
      i++;
    } else if (c === '(') {
      const list: Token[] = [];
      top.push({ list });
      stack.push(list);
      i++;
    } else if (c === ')') {
      if (stack.length === 1) return null;
      stack.pop();
      i++;
    } else if (c === '"') {
      let s = '';
      i++;
      for (;;) {
        if (i >= text.length) return null;
        const d = text[i]!;
        if (d === '"') break;
        if (d === '\\') {
          i++;
          if (i >= text.length) return null;
        }
        s += text[i]!;
        i++;
      }
      i++;
      top.push({ str: s });
    } else if (c === '{') {
      return null;
    } else {
      const m = /^[^ ()"{]+/.exec(text.slice(i))!;
      const atom = m[0];
      top.push(atom.toUpperCase() === 'NIL' ? null : { atom });
      i += atom.length;
    }
  }
  return stack.length === 1 ? root : null;
}

/** The text of an atom or a string token, else null. */
export function textOf(t: Token | undefined): string | null {
  if (!t) return null;
  if ('atom' in t) return t.atom;
  if ('str' in t) return t.str;
  return null;
}

/** The capabilities a greeting announces (`* OK [CAPABILITY …] …`), upper-cased; null when it announces none. */
export function greetingCapabilities(line: string): Set<string> | null {
  const m = /^\* OK \[CAPABILITY ([^\]]*)\]/i.exec(line);
  return m ? new Set(m[1]!.trim().split(/\s+/).map((c) => c.toUpperCase())) : null;
}

/** A tagged answer: status, response code (first word of `[…]`, upper-cased) and the text after it, as imapflow reports them. */
export interface TaggedAnswer {
  tag: string;
  status: string;
  code: string | null;
  text: string;
  /** The capabilities of a `[CAPABILITY …]` code (upper-cased), else null. */
  capabilities: Set<string> | null;
}

export function taggedAnswer(line: string): TaggedAnswer | null {
  const m = /^(\S+) (OK|NO|BAD)(?: (.*))?$/i.exec(line);
  if (!m || m[1] === '*' || m[1] === '+') return null;
  const rest = /^(?:\[([^\]]*)\]\s*)?(.*)$/s.exec(m[3] ?? '')!;
  const words = rest[1] ? rest[1].trim().split(/\s+/).map((w) => w.toUpperCase()) : null;
  return { tag: m[1]!, status: m[2]!.toUpperCase(), code: words?.[0] ?? null, text: rest[2]!.trim(), capabilities: words?.[0] === 'CAPABILITY' ? new Set(words.slice(1)) : null };
}

/**
 * Decodes a folder name as imapflow does before UTF8=ACCEPT is enabled (it is not, at LIST time):
 * modified UTF-7 (RFC 3501 5.1.3: `&-` is `&`, `&…-` is modified base64 of UTF-16BE).
 */
export function decodeMailboxName(raw: string): string {
  if (!raw.includes('&')) return raw;
  return raw.replace(/&([^-]*)-/g, (_m, b64: string) => {
    if (b64 === '') return '&';
    const bytes = Buffer.from(b64.replace(/,/g, '/'), 'base64');
    let out = '';
    for (let i = 0; i + 1 < bytes.length; i += 2) out += String.fromCharCode((bytes[i]! << 8) | bytes[i + 1]!);
    return out;
  });
}

/** A folder name as imapflow reports it: decoded, INBOX in upper case (any case on the wire), no leading delimiter. */
export function folderPath(raw: string, delimiter: string): string {
  let path = decodeMailboxName(raw);
  if (path.toUpperCase() === 'INBOX') return 'INBOX';
  if (delimiter && path.startsWith(delimiter)) path = path.slice(1);
  return path;
}

/** `* LIST (flags) delim name`: the folder's raw name, delimiter and flags. */
export function listEntry(tokens: Token[]): { raw: string; delimiter: string; flags: string[] } | null {
  const [flags, delim, name] = tokens;
  if (!flags || !('list' in flags)) return null;
  const raw = textOf(name);
  if (raw === null) return null;
  const flagTexts = flags.list.map(textOf);
  if (flagTexts.some((f) => f === null)) return null;
  return { raw, delimiter: textOf(delim ?? undefined) ?? '', flags: flagTexts as string[] };
}

/** What `* STATUS name (…)` says: numbers as decimal strings (UIDVALIDITY and HIGHESTMODSEQ may exceed 2^53). */
export function statusEntry(tokens: Token[]): { raw: string; items: Map<string, string> } | null {
  const [name, items] = tokens;
  const raw = textOf(name);
  if (raw === null || !items || !('list' in items)) return null;
  const map = new Map<string, string>();
  for (let i = 0; i + 1 < items.list.length; i += 2) {
    const key = textOf(items.list[i]);
    const value = textOf(items.list[i + 1]);
    if (key === null || value === null || !/^\d+$/.test(value)) return null;
    map.set(key.toUpperCase(), BigInt(value).toString());
  }
  return { raw, items: map };
}
