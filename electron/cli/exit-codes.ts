/** Exit codes: 0 all done, 1 some items failed, 2 bad input, 130 cancelled (Ctrl-C). */
export const EXIT = { ok: 0, failures: 1, badInput: 2, cancelled: 130 } as const;
