/**
 * A progress watchdog: every `intervalMs` it reads `progress()` (a number that grows while anything
 * happens: replies received, bytes received) and calls `onStall` once when it has not moved since the
 * last look. It replaces basic-ftp's control timeout in a batch, which would fire during long
 * transfers (the control connection is quiet while data flows). `stop()` is idempotent.
 */
export function startProgressWatchdog(intervalMs: number, progress: () => number, onStall: () => void): { stop(): void } {
  let last = -1;
  const timer = setInterval(() => {
    const mark = progress();
    if (mark === last) {
      clearInterval(timer);
      onStall();
    }
    last = mark;
  }, intervalMs);
  return { stop: () => clearInterval(timer) };
}
