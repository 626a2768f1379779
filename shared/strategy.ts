/**
 * How items are dealt to workers.
 * - `serial`: one worker, one item at a time (the baseline).
 * - `queue`: one shared queue; the next item goes to the next free worker.
 * - `split`: N sublists fixed up front (the classic splitting approach): no rebalancing.
 * - `adaptive`: batches taken from a shared queue, shrinking as it drains (guided self-scheduling),
 *   so dispatch is cheap early and no worker is left with a long tail.
 */
export const STRATEGIES = ['serial', 'queue', 'split', 'adaptive'] as const;
export type Strategy = (typeof STRATEGIES)[number];
