/**
 * The address list of a From header as an IMAP server's ENVELOPE gives it, parsed the way Dovecot
 * parses it (its lib-mail message-address and rfc822-parser, with "fill missing" and non-strict
 * dots, as its ENVELOPE uses them): mailbox, domain (null marks a group's start or end), display
 * name (null when none) — broken addresses included, as `MISSING_MAILBOX`, `MISSING_DOMAIN`,
 * `SYNTAX_ERROR`, the way the server reports them. Each step returns -1 (syntax error), 0 (end of
 * the value reached) or 1 (more follows), like the original, because the callers branch on it.
 * Why by hand and not an address-parsing library: the index's `from` must be what the server's
 * ENVELOPE gives (large messages and adopted files still take it from ENVELOPE, and earlier runs'
 * lines did), broken addresses included; a general parser repairs them its own way. Asking for
 * ENVELOPE instead costs the server its parse per message (5,000 messages: 10.98 → 9.08 s median,
 * 7 of 7 pairs, docs/BENCHMARKS.md "Mail"). tests/integration/mail/index-fields.test.ts holds the
 * two to the same values on the real corpus and odd headers.
 */
export interface EnvelopeAddress {
  name: string | null;
  mailbox: string | null;
  domain: string | null;
}

/** RFC 5322 atext; every non-ASCII character counts (Dovecot's table marks bytes ≥ 0x80 as atext). */
function isAtext(c: string | undefined): boolean {
  if (c === undefined) return false;
  const code = c.charCodeAt(0);
  if (code >= 0x80) return true;
  if (code <= 0x20 || code === 0x7f) return false;
  return !'()<>[]:;@\\,."'.includes(c);
}

class Rfc822Reader {
  pos = 0;
  lastComment = '';
  constructor(readonly s: string) {}

  get atEnd(): boolean {
    return this.pos >= this.s.length;
  }
  get c(): string | undefined {
    return this.s[this.pos];
  }
  /** The next character (a call, so a comparison does not narrow it for the code after a step). */
  peek(): string | undefined {
    return this.s[this.pos];
  }
  more(): number {
    return this.atEnd ? 0 : 1;
  }

  skipComment(): number {
    this.lastComment = '';
    let level = 1;
    let start = ++this.pos;
    for (; !this.atEnd; this.pos++) {
      const c = this.s[this.pos];
      if (c === '(') level++;
      else if (c === ')') {
        if (--level === 0) {
          this.lastComment += this.s.slice(start, this.pos);
          this.pos++;
          return this.more();
        }
      } else if (c === '\\') {
        this.lastComment += this.s.slice(start, this.pos);
        start = this.pos + 1;
        this.pos++;
        if (this.atEnd) return -1;
      }
    }
    return -1;
  }

  skipLwsp(): number {
    while (!this.atEnd) {
      const c = this.c;
      if (c === ' ' || c === '\t' || c === '\r' || c === '\n') {
        this.pos++;
        continue;
      }
      if (c !== '(') break;
      if (this.skipComment() < 0) return -1;
    }
    return this.more();
  }

  atom(out: string[]): number {
    if (!isAtext(this.c)) return -1;
    const start = this.pos++;
    while (!this.atEnd && isAtext(this.c)) this.pos++;
    out.push(this.s.slice(start, this.pos));
    return this.atEnd ? 0 : this.skipLwsp();
  }

  dotAtom(out: string[]): number {
    if (!isAtext(this.c)) return -1;
    let start = this.pos++;
    while (!this.atEnd) {
      if (isAtext(this.c)) {
        this.pos++;
        continue;
      }
      out.push(this.s.slice(start, this.pos));
      const r = this.skipLwsp();
      if (r <= 0) return r;
      if (this.c !== '.') return 1;
      this.pos++;
      out.push('.');
      const r2 = this.skipLwsp();
      if (r2 <= 0) return r2;
      start = this.pos;
    }
    out.push(this.s.slice(start, this.pos));
    return 0;
  }

  nonStrictDotAtom(out: string[]): number {
    let ret = -1;
    do {
      while (this.c === '.') {
        out.push('.');
        this.pos++;
        if (this.atEnd) return 0;
        ret = 1;
      }
      if (this.c === '@') break;
      ret = this.atom(out);
    } while (ret > 0 && this.c === '.');
    return ret;
  }

  quoted(out: string[]): number {
    this.pos++;
    let start = this.pos;
    for (; !this.atEnd; this.pos++) {
      const c = this.s[this.pos];
      if (c === '"') {
        out.push(this.s.slice(start, this.pos));
        this.pos++;
        return this.skipLwsp();
      }
      if (c === '\n') {
        let end = this.pos;
        if (end > start && this.s[end - 1] === '\r') end--;
        out.push(this.s.slice(start, end));
        start = this.pos + 1;
      } else if (c === '\\') {
        this.pos++;
        if (this.atEnd) return -1;
        out.push(this.s.slice(start, this.pos - 1));
        start = this.pos;
      }
    }
    return -1;
  }

  atomOrDot(out: string[]): number {
    const start = this.pos;
    while (!this.atEnd && (isAtext(this.c) || this.c === '.')) this.pos++;
    out.push(this.s.slice(start, this.pos));
    return this.atEnd ? 0 : this.skipLwsp();
  }

  phrase(out: string[]): number {
    if (this.atEnd) return 0;
    if (this.c === '.') return -1;
    for (;;) {
      const r = this.c === '"' ? this.quoted(out) : this.atomOrDot(out);
      if (r <= 0) return r;
      if (!isAtext(this.c) && this.c !== '"' && this.c !== '.') break;
      out.push(' ');
    }
    return this.skipLwsp();
  }

  domainLiteral(out: string[]): number {
    const start = this.pos;
    for (; !this.atEnd; this.pos++) {
      if (this.c === '\\') {
        this.pos++;
        if (this.atEnd) break;
      } else if (this.c === ']') {
        this.pos++;
        out.push(this.s.slice(start, this.pos));
        return this.skipLwsp();
      }
    }
    return -1;
  }

  domain(out: string[]): number {
    this.pos++;
    if (this.skipLwsp() <= 0) return -1;
    return this.c === '[' ? this.domainLiteral(out) : this.dotAtom(out);
  }
}

/** RFC 5322 atext as a character class: ASCII printable but the specials, and every non-ASCII character. */
const ATEXT_CLASS = String.raw`[A-Za-z0-9!#$%&'*+\-/=?^_\x60{|}~\u0080-\uffff]`;
const DOT_ATOM = `${ATEXT_CLASS}+(?:\\.${ATEXT_CLASS}+)*`;
/**
 * The From values nearly every message has, which the parse below reads to exactly these parts: a
 * bare `local@domain`, or a display name of atoms (encoded words are atoms; no leading dot) or one
 * quoted string without escapes, then `<local@domain>`; dot-atoms without blanks or comments inside.
 * Groups: 1 bare local part, 2 its domain, 3 atom name, 4 quoted name, 5 local part, 6 domain.
 */
const SIMPLE_FROM = new RegExp(
  `^[ \\t]*(?:(${DOT_ATOM})@(${DOT_ATOM})|(?:(${ATEXT_CLASS}(?:${ATEXT_CLASS}|\\.)*(?:[ \\t]+(?:${ATEXT_CLASS}|\\.)+)*)|"([^"\\\\\\r\\n]*)")[ \\t]*<(${DOT_ATOM})@(${DOT_ATOM})>)[ \\t]*$`,
);

/**
 * One address list, parsed as Dovecot's ENVELOPE does (all addresses; the caller takes what it needs).
 * A value of one of the simplest shapes (`SIMPLE_FROM`) is read by one regular expression, to the
 * same parts: the parse below is a closure per step and a character at a time, which a message's
 * first From runs cold (~0.1 ms each for the first thousand messages of a job, session 13).
 * tests/unit/mail/envelope-address-fast.test.ts holds the two to the same result.
 */
export function parseEnvelopeAddresses(value: string): EnvelopeAddress[] {
  const m = SIMPLE_FROM.exec(value);
  if (m) {
    if (m[1] !== undefined) return [{ name: null, mailbox: m[1], domain: m[2]! }];
    const name = m[3] !== undefined ? m[3].split(/[ \t]+/).join(' ') : m[4]!;
    return [{ name: name === '' ? null : name, mailbox: m[5]!, domain: m[6]! }];
  }
  return parseEnvelopeAddressesFully(value);
}

/** `parseEnvelopeAddresses` without its shortcut: Dovecot's parse, step by step. */
export function parseEnvelopeAddressesFully(value: string): EnvelopeAddress[] {
  const p = new Rfc822Reader(value);
  const list: EnvelopeAddress[] = [];
  let addr: EnvelopeAddress & { invalid: boolean; route: string | null } = fresh();
  let str: string[] = [];
  function fresh() {
    return { name: null, mailbox: null, domain: null, invalid: false, route: null } as EnvelopeAddress & { invalid: boolean; route: string | null };
  }
  const add = () => {
    list.push({ name: addr.name, mailbox: addr.mailbox, domain: addr.domain });
    addr = fresh();
  };
  const addFixed = () => {
    if (addr.mailbox === null) addr.mailbox = 'MISSING_MAILBOX';
    if (addr.domain === null || addr.domain === '') addr.domain = 'MISSING_DOMAIN';
    add();
  };

  const localPart = (): number => {
    str = [];
    const r = p.peek() === '"' ? p.quoted(str) : p.nonStrictDotAtom(str);
    if (r < 0) return -1;
    addr.mailbox = str.join('');
    return r;
  };
  const domain = (): number => {
    str = [];
    const r = p.domain(str);
    if (r < 0) return -1;
    addr.domain = str.join('');
    return r;
  };
  const domainList = (): number => {
    const route: string[] = [];
    for (;;) {
      if (p.atEnd) return 0;
      if (p.peek() !== '@') break;
      if (route.length > 0) route.push(',');
      route.push('@');
      const r = p.domain(route);
      if (r <= 0) return r;
      while (p.skipLwsp() > 0 && p.peek() === ',') p.pos++;
    }
    addr.route = route.join('');
    return 1;
  };
  const angleAddr = (): number => {
    p.pos++;
    if (p.skipLwsp() <= 0) return -1;
    if (p.peek() === '@') {
      if (domainList() > 0 && p.peek() === ':') p.pos++;
      else {
        addr.route = 'INVALID_ROUTE';
        if (p.atEnd) return -1;
      }
      if (p.skipLwsp() <= 0) return -1;
    }
    if (p.peek() !== '>') {
      if (localPart() <= 0) return -1;
      if (p.peek() === '@' && domain() <= 0) return -1;
    }
    if (p.peek() !== '>') return -1;
    p.pos++;
    return p.skipLwsp();
  };
  const nameAddr = (): number => {
    str = [];
    if (p.phrase(str) <= 0 || p.peek() !== '<') return -1;
    const name = str.join('');
    addr.name = name === '' ? null : name;
    if (angleAddr() < 0) {
      addr.domain = 'SYNTAX_ERROR';
      addr.invalid = true;
    }
    return p.atEnd ? 0 : 1;
  };
  const addrSpec = (): number => {
    let ret2 = -2;
    p.lastComment = '';
    const quotedString = p.peek() === '"';
    let ret = localPart();
    if (ret <= 0) addr.invalid = true;
    if (ret !== 0 && !p.atEnd && p.peek() === '@') {
      ret2 = domain();
      if (ret2 <= 0) ret = ret2;
    }
    if (p.lastComment.length > 0) addr.name = p.lastComment;
    else if (ret2 === -2) {
      // user without @domain and without (Display Name): a mailbox alone, a display name if more follows
      str.push(' ');
      const before = str.join('').length;
      p.phrase(str);
      const joined = str.join('');
      if (joined.length !== before) {
        addr.mailbox = null;
        addr.name = joined;
      } else if (!quotedString) addr.domain = '';
      addr.invalid = true;
      ret = -1;
    }
    return ret;
  };
  const mailbox = (): number => {
    const start = p.pos;
    let ret = nameAddr();
    if (ret < 0) {
      p.pos = start;
      addr = fresh();
      ret = addrSpec();
      if (addr.invalid && addr.name === null && addr.mailbox !== null && addr.domain === null) {
        addr.name = addr.mailbox;
        addr.mailbox = null;
      }
    }
    addFixed();
    return ret;
  };
  const group = (): number => {
    str = [];
    if (p.phrase(str) <= 0 || p.peek() !== ':') return -1;
    p.pos++;
    let ret = p.skipLwsp();
    addr.mailbox = str.join('');
    add();
    if (ret > 0 && p.peek() !== ';') {
      for (;;) {
        mailbox();
        if (p.atEnd || p.peek() !== ',') break;
        p.pos++;
        if (p.skipLwsp() <= 0) {
          ret = -1;
          break;
        }
      }
    }
    if (ret >= 0) {
      if (p.atEnd || p.peek() !== ';') ret = -1;
      else {
        p.pos++;
        ret = p.skipLwsp();
      }
    }
    add();
    return ret === 0 ? 0 : 1;
  };
  const address = (): number => {
    const start = p.pos;
    const ret = group();
    if (ret >= 0) return ret;
    p.pos = start;
    addr = fresh();
    return mailbox();
  };

  if (p.skipLwsp() <= 0) return list;
  for (;;) {
    if (address() === 0) break;
    if (p.atEnd || p.peek() !== ',') break;
    p.pos++;
    const r = p.skipLwsp();
    if (r <= 0) {
      if (r < 0) addFixed();
      break;
    }
  }
  return list;
}
