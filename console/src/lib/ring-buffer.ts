// Fixed-capacity buffers for high-rate data: memory stays flat however long the page is open,
// and nothing here is reactive (views re-read them once per animation frame).

/** Time series: two columns of float64, oldest overwritten first. */
export interface SeriesRing {
  readonly capacity: number;
  readonly length: number;
  push(tMs: number, value: number): void;
  /** the newest timestamp, or -Infinity when empty */
  lastT(): number;
  /** points with t >= fromMs, oldest first, copied into fresh arrays */
  since(fromMs: number): { t: Float64Array; v: Float64Array };
  clear(): void;
}

export function createSeriesRing(capacity: number): SeriesRing {
  const ts = new Float64Array(capacity);
  const vs = new Float64Array(capacity);
  let start = 0;
  let length = 0;
  return {
    capacity,
    get length() {
      return length;
    },
    push(tMs, value) {
      const at = (start + length) % capacity;
      ts[at] = tMs;
      vs[at] = value;
      if (length < capacity) length += 1;
      else start = (start + 1) % capacity;
    },
    lastT: () => (length === 0 ? -Infinity : ts[(start + length - 1) % capacity]!),
    since(fromMs) {
      // Binary search in the logical (oldest-first) order for the first t >= fromMs.
      let lo = 0;
      let hi = length;
      while (lo < hi) {
        const mid = (lo + hi) >> 1;
        if (ts[(start + mid) % capacity]! < fromMs) lo = mid + 1;
        else hi = mid;
      }
      const n = length - lo;
      const t = new Float64Array(n);
      const v = new Float64Array(n);
      for (let i = 0; i < n; i++) {
        const at = (start + lo + i) % capacity;
        t[i] = ts[at]!;
        v[i] = vs[at]!;
      }
      return { t, v };
    },
    clear() {
      start = 0;
      length = 0;
    },
  };
}

/** Any values, newest last. */
export interface Ring<T> {
  readonly capacity: number;
  readonly length: number;
  push(item: T): void;
  toArray(): T[];
  /** the newest `n` items, newest first */
  newest(n: number): T[];
  clear(): void;
}

export function createRing<T>(capacity: number): Ring<T> {
  const items: Array<T | undefined> = new Array<T | undefined>(capacity);
  let start = 0;
  let length = 0;
  return {
    capacity,
    get length() {
      return length;
    },
    push(item) {
      items[(start + length) % capacity] = item;
      if (length < capacity) length += 1;
      else start = (start + 1) % capacity;
    },
    toArray() {
      const out: T[] = [];
      for (let i = 0; i < length; i++) out.push(items[(start + i) % capacity] as T);
      return out;
    },
    newest(n) {
      const out: T[] = [];
      for (let i = length - 1; i >= 0 && out.length < n; i--) out.push(items[(start + i) % capacity] as T);
      return out;
    },
    clear() {
      items.fill(undefined);
      start = 0;
      length = 0;
    },
  };
}
