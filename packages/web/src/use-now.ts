import { useEffect, useState } from 'react';

/**
 * The time now as epoch ms, re-rendering every `intervalMs`: the one clock a page's countdowns tick by,
 * so every row shows the same "now". Reads the app's injected clock.
 */
export function useNow(now: () => Date, intervalMs = 1000): number {
  const [ms, setMs] = useState(() => now().getTime());
  useEffect(() => {
    const timer = setInterval(() => setMs(now().getTime()), intervalMs);
    return () => clearInterval(timer);
  }, [now, intervalMs]);
  return ms;
}
