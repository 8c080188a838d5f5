import { useEffect, useState } from 'preact/hooks';

/** The current time, ticking every second (for countdowns). */
export function useNow(): number {
  const [now, setNow] = useState(Date.now());
  useEffect(() => {
    const timer = setInterval(() => setNow(Date.now()), 1_000);
    return () => clearInterval(timer);
  }, []);
  return now;
}

/** `5 h 03 min 09 s` / `12 min 09 s` / `closed`: seconds shown so the countdown visibly runs. */
export function remaining(until: string | null, now: number): string {
  if (!until) return 'closed';
  const ms = Date.parse(until) - now;
  if (ms <= 0) return 'closed';
  const s = Math.floor(ms / 1000);
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const minSec = `${String(m).padStart(2, '0')} min ${String(s % 60).padStart(2, '0')} s`;
  return h > 0 ? `${h} h ${minSec}` : minSec;
}

/** Under an hour left: the card says so in colour (and the text says it anyway). */
export const closingSoon = (until: string | null, now: number) => until !== null && Date.parse(until) - now < 3_600_000;
