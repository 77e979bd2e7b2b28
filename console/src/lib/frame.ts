// "At most once per animation frame": many schedule() calls between frames run `work` once.

export interface FrameScheduler {
  schedule(): void;
  cancel(): void;
}

export function createFrameScheduler(work: () => void, minIntervalMs = 0, now: () => number = () => performance.now()): FrameScheduler {
  let handle: number | undefined;
  let lastRunMs = -Infinity;
  const raf = globalThis.requestAnimationFrame?.bind(globalThis) ?? ((cb: FrameRequestCallback) => setTimeout(() => cb(now()), 16) as unknown as number);
  const caf = globalThis.cancelAnimationFrame?.bind(globalThis) ?? ((h: number) => clearTimeout(h));
  function run(): void {
    handle = undefined;
    if (now() - lastRunMs < minIntervalMs) {
      handle = raf(run);
      return;
    }
    lastRunMs = now();
    work();
  }
  return {
    schedule() {
      if (handle === undefined) handle = raf(run);
    },
    cancel() {
      if (handle !== undefined) caf(handle);
      handle = undefined;
    },
  };
}
