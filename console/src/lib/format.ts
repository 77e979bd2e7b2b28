export function formatAgo(ms: number | null, nowMs: number): string {
  if (ms === null) return 'never';
  const s = Math.max(0, Math.round((nowMs - ms) / 1000));
  if (s < 60) return `${s} s ago`;
  if (s < 3600) return `${Math.floor(s / 60)} min ago`;
  return `${Math.floor(s / 3600)} h ago`;
}

// toLocaleTimeString(undefined, { hour12: false }) builds a formatter per call, which costs a
// list of a hundred rows milliseconds; one formatter with the same fields prints the same text.
const timeFormat = new Intl.DateTimeFormat(undefined, { hour: 'numeric', minute: '2-digit', second: '2-digit', hour12: false });

export function formatTime(ms: number): string {
  return timeFormat.format(ms);
}

const byteUnits = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];

export function formatBytes(n: number): string {
  let value = n;
  let unit = 0;
  while (Math.abs(value) >= 1024 && unit < byteUnits.length - 1) {
    value /= 1024;
    unit += 1;
  }
  return unit === 0 ? `${n} B` : `${value.toFixed(1)} ${byteUnits[unit]}`;
}

/** "3 d 4 h", "2 h 13 min", "45 s" */
export function formatDurationS(totalS: number): string {
  const s = Math.max(0, Math.floor(totalS));
  const d = Math.floor(s / 86_400);
  const h = Math.floor((s % 86_400) / 3600);
  const m = Math.floor((s % 3600) / 60);
  if (d > 0) return `${d} d ${h} h`;
  if (h > 0) return `${h} h ${m} min`;
  if (m > 0) return `${m} min ${s % 60} s`;
  return `${s} s`;
}

/** A $SYS value in human units: byte counts, uptimes, large counts grouped; text as it is. */
export function formatSysValue(path: string, text: string): string {
  const n = Number(text);
  if (text.trim() === '' || !Number.isFinite(n)) return text.length > 60 ? `${text.slice(0, 60)}…` : text;
  if (/bytes/.test(path)) return formatBytes(n);
  if (/uptime/.test(path)) return formatDurationS(n);
  return Number.isInteger(n) ? n.toLocaleString('en-US') : n.toFixed(2);
}
