/**
 * A lab's lab.json text: the points and the analysis, as `fanout lab` writes it and the UI's Export
 * saves it. Infinity (an unbounded USL peak) is not JSON: written as null.
 */
export function labJson(value: unknown): string {
  return JSON.stringify(value, (_k, v: unknown) => (typeof v === 'number' && !Number.isFinite(v) ? null : v), 2) + '\n';
}
