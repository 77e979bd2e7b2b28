// Tick labels for a time axis that fit and say what they mean: seconds, minutes or dates by the
// tick step, and the date written out where the day changes (so a day-long range is readable).

const pad = (n: number) => String(n).padStart(2, '0');
const months = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

function dayOf(d: Date): string {
  return `${months[d.getMonth()]} ${d.getDate()}`;
}

/** Labels for ticks at `splitsS` (epoch seconds), `stepS` apart; local time, 24-hour clock. */
export function timeTickLabels(splitsS: readonly number[], stepS: number): string[] {
  let previousDay = '';
  return splitsS.map((s) => {
    const d = new Date(s * 1000);
    const day = dayOf(d);
    const isNewDay = day !== previousDay;
    previousDay = day;
    if (stepS >= 86_400) return day;
    const clock = stepS < 60 ? `${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}` : `${pad(d.getHours())}:${pad(d.getMinutes())}`;
    // The first tick of a range longer than a few hours, and every midnight, carry the date.
    return isNewDay && stepS >= 3600 ? `${day} ${clock}` : clock;
  });
}

/** A full timestamp for the cursor readout: "Nov 30 14:03:07". */
export function cursorTime(ms: number): string {
  const d = new Date(ms);
  return `${dayOf(d)} ${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}`;
}

/**
 * The typical step between points: the median of the last (up to) 64 gaps; 0 with fewer than 2 points.
 * Gaps longer than a few of these are where a device was away.
 */
export function typicalStepMs(t: ArrayLike<number>): number {
  const n = t.length;
  if (n < 2) return 0;
  const gaps: number[] = [];
  for (let i = Math.max(1, n - 64); i < n; i++) gaps.push(t[i]! - t[i - 1]!);
  gaps.sort((a, b) => a - b);
  return gaps[Math.floor(gaps.length / 2)]!;
}

/**
 * Points in seconds for uPlot, with a null where consecutive points are more than `gapMs` apart,
 * so the line breaks there instead of joining across the hole (gapMs 0: no breaks).
 */
export function withGaps(t: ArrayLike<number>, v: ArrayLike<number | null>, gapMs: number): [number[], Array<number | null>] {
  const xs: number[] = [];
  const ys: Array<number | null> = [];
  for (let i = 0; i < t.length; i++) {
    if (i > 0 && gapMs > 0 && t[i]! - t[i - 1]! > gapMs) {
      xs.push((t[i - 1]! + t[i]!) / 2000);
      ys.push(null);
    }
    xs.push(t[i]! / 1000);
    ys.push(v[i] ?? null);
  }
  return [xs, ys];
}
