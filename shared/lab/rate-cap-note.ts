import { formatByteRate } from '../byte-rate';

/** Within this of the cap, the throughput is the cap's, not the machine's or the server's. */
export const AT_CAP = 0.9;

/**
 * Places a measured throughput (bytes over wall time) against the job's bandwidth cap, for every
 * lab whose cells run under `--limit-rate`: near the cap, what the lab shows is the cap's doing.
 * `who` names the cell, `shape` what the cap does near it ("the curve flattens"), `what` what it shapes
 * ("the curve"). Null when
 * nothing was moved.
 */
export function rateCapNote(o: { who: string; bytes: number; ms: number; cap: number; shape: string; what: string }): string | null {
  if (!(o.bytes > 0) || !(o.ms > 0)) return null;
  const rate = o.bytes / (o.ms / 1000);
  const moved = `${o.who} moved ${formatByteRate(rate)} (bytes over wall time)`;
  return rate >= AT_CAP * o.cap
    ? `Capped at ${formatByteRate(o.cap)}: ${moved}, within ${Math.round(100 * (1 - AT_CAP))} % of the cap: ${o.shape} at the cap, not at a limit of the machine or the server; measure without the cap to see those.`
    : `${moved}, below the cap of ${formatByteRate(o.cap)}: the cap did not shape ${o.what} at that point.`;
}
