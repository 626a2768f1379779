/**
 * Folder paths in `localeCompare` order (the default locale's collation), without building ICU's
 * collator where the answer is known beforehand. The collator's first use costs ~70 M instructions
 * (15-30 ms of one core): a run of `fanout mail` with nothing new spent that on its critical path
 * to order three folders (docs/BENCHMARKS.md, session 12).
 *
 * Known beforehand: the default locale's collation is the root one for printable ASCII (English,
 * C, POSIX or none: no tailoring; ICU takes the locale from LC_ALL, else LC_MESSAGES, else LANG)
 * and both paths are printable ASCII. The root order there is: punctuation and symbols (in the
 * order below), digits, then letters, a letter's two cases alike; between two paths alike but for
 * case, lower case first at the first difference. Anything else goes to `localeCompare` as before.
 */

/** Printable ASCII in the root collation's order (CLDR, as ICU 78 has it), one entry per primary weight. */
const ROOT_ORDER = ` _-,;:!?.'"()[]{}@*/\\&#%\`^+<=>|~$0123456789abcdefghijklmnopqrstuvwxyz`;

let weights: Uint8Array | undefined;

/** Each printable ASCII code's primary weight (1 up), 0 for any other code below 128. */
function primaryWeights(): Uint8Array {
  if (weights) return weights;
  weights = new Uint8Array(128);
  for (let i = 0; i < ROOT_ORDER.length; i++) {
    weights[ROOT_ORDER.charCodeAt(i)] = i + 1;
    weights[ROOT_ORDER[i]!.toUpperCase().charCodeAt(0)] = i + 1;
  }
  return weights;
}

/** A locale id as LC_ALL / LC_MESSAGES / LANG give it whose collation is the root one for ASCII. */
const ROOT_ORDER_LOCALE = /^(?:(?:C|POSIX|en(?:_[A-Z]{2})?)(?:\.[\w-]+)?)?$/;

/** True when the default locale's collation orders printable ASCII as the root collation does. */
export function rootOrderApplies(env: NodeJS.ProcessEnv = process.env, versions: Readonly<Record<string, string | undefined>> = process.versions): boolean {
  // In Electron the default locale is Chromium's (the system language on macOS and Windows), not
  // these variables: ICU decides there.
  if (versions.electron !== undefined) return false;
  // ICU's choice (putil.cpp): the first of these that is set, even empty (which is the root locale).
  const id = env.LC_ALL ?? env.LC_MESSAGES ?? env.LANG;
  return id === undefined || ROOT_ORDER_LOCALE.test(id);
}

/** The root collation's answer for two printable-ASCII strings (-1, 0, 1), or null for anything else. */
export function asciiRootCompare(a: string, b: string): number | null {
  const w = primaryWeights();
  for (const s of [a, b]) {
    for (let i = 0; i < s.length; i++) {
      const c = s.charCodeAt(i);
      if (c >= 128 || w[c] === 0) return null;
    }
  }
  const n = Math.min(a.length, b.length);
  let byCase = 0;
  for (let i = 0; i < n; i++) {
    const x = a.charCodeAt(i);
    const y = b.charCodeAt(i);
    if (w[x] !== w[y]) return w[x]! < w[y]! ? -1 : 1;
    // The same letter in the other case: lower case (the larger code) first, if nothing else differs.
    if (byCase === 0 && x !== y) byCase = x > y ? -1 : 1;
  }
  if (a.length !== b.length) return a.length < b.length ? -1 : 1;
  return byCase;
}

/** `a.localeCompare(b)`'s sign, computed without ICU where rootOrderApplies and both are printable ASCII. */
export function comparePaths(a: string, b: string, env: NodeJS.ProcessEnv = process.env): number {
  const known = rootOrderApplies(env) ? asciiRootCompare(a, b) : null;
  return known ?? a.localeCompare(b);
}
