/**
 * Tick steps for an axis of bytes (per second), in the binary units the labels use (1 KB = 1024 B,
 * shared/format-bytes.ts): 1, 2, 5, 10, 20, 50, 100, 200, 500 of B, KB, MB, GB. With uPlot's decimal
 * defaults the ticks fell at 500,000 and 1,000,000 B and read "488 KB/s", "977 KB/s".
 */
export const BYTE_AXIS_INCRS: number[] = [0, 1, 2, 3].flatMap((p) => [1, 2, 5, 10, 20, 50, 100, 200, 500].map((m) => m * 1024 ** p));
