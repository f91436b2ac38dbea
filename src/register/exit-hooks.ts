/**
 * Flush on exit without changing how the process exits: on `beforeExit` (the event loop ran dry)
 * and on SIGTERM/SIGINT, run the flush once, bounded by a deadline. After a signal, if nothing
 * else listens for it, the signal is raised again so the process still dies the default way.
 * Signal listeners and the deadline timer (cleared once the flush settles) never keep the process alive.
 */
const SIGNALS = ['SIGTERM', 'SIGINT'] as const;

/** Resolves when `work` settles or after `ms`, whichever comes first; never rejects. */
export async function settleWithin(work: Promise<unknown>, ms: number): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<void>((resolve) => {
    timer = setTimeout(resolve, ms);
  });
  try {
    await Promise.race([
      work.then(
        () => undefined,
        () => undefined,
      ),
      deadline,
    ]);
  } finally {
    clearTimeout(timer);
  }
}

/** Installs the hooks; the returned function removes them (idempotent). */
export function flushOnExit(flush: () => Promise<void>): () => void {
  const onBeforeExit = (): void => {
    remove();
    void flush();
  };
  const onSignal = (signal: NodeJS.Signals): void => {
    remove();
    const applicationHandlesIt = process.listenerCount(signal) > 0;
    void flush().finally(() => {
      if (!applicationHandlesIt) process.kill(process.pid, signal);
    });
  };
  function remove(): void {
    process.off('beforeExit', onBeforeExit);
    for (const signal of SIGNALS) process.off(signal, onSignal);
  }
  process.on('beforeExit', onBeforeExit);
  for (const signal of SIGNALS) process.on(signal, onSignal);
  return remove;
}
