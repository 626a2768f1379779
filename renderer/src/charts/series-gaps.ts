/**
 * Breaks a sampled line where samples are missing. Frames come about every 100 ms; when none came for
 * a while (the host's event loop held up, a dropped socket, a paused tab), uPlot joined the samples
 * either side with a straight line, a smooth change nobody measured: in HU's walk a 1.1 s hole in an
 * HTTP run read as a steady fall from 5.5 to 0.3 MB/s. A null point in the hole makes uPlot break the
 * line there (its series do not span gaps). Pure.
 */

/** A hole: no sample for this long, and for 5× the typical spacing. */
export const GAP_MIN_MS = 1000;

/** `t` and its columns with a null row inserted in each hole (at its middle); the same arrays when there is none. */
export function withGaps(t: readonly number[], cols: ReadonlyArray<ReadonlyArray<number | null>>): [number[], Array<Array<number | null>>] {
  const same: [number[], Array<Array<number | null>>] = [t as number[], cols as Array<Array<number | null>>];
  if (t.length < 3) return same;
  // Called on every frame: one pass finds candidates; the typical spacing is only worked out when there are some.
  let candidates = false;
  for (let i = 1; i < t.length && !candidates; i++) candidates = t[i]! - t[i - 1]! > GAP_MIN_MS;
  if (!candidates) return same;
  const steps = t.slice(1).map((x, i) => x - t[i]!).sort((a, b) => a - b);
  const hole = Math.max(GAP_MIN_MS, 5 * steps[steps.length >> 1]!);
  const at: number[] = [];
  for (let i = 1; i < t.length; i++) if (t[i]! - t[i - 1]! > hole) at.push(i);
  if (at.length === 0) return same;
  const tt: number[] = [];
  const cc: Array<Array<number | null>> = cols.map(() => []);
  let next = 0;
  for (let i = 0; i < t.length; i++) {
    if (at[next] === i) {
      next++;
      tt.push((t[i - 1]! + t[i]!) / 2);
      for (const c of cc) c.push(null);
    }
    tt.push(t[i]!);
    cols.forEach((c, k) => cc[k]!.push(c[i] ?? null));
  }
  return [tt, cc];
}
