// Device ids the broker knows, so that no other session can take one: a device's client id is its
// token's `sub`, and a console, admin, anonymous or password session using that id would take over
// its session (and its will). Fed by devices as they connect, and at start by the ids the store has
// telemetry for and the retained statuses, so a device that has not connected since the broker
// started is protected too.

export interface KnownDevices {
  has(deviceId: string): boolean;
  add(deviceId: string): void;
  size(): number;
}

/** Bounded: past `maxDevices` new ids are not remembered (a fleet that large is counted in the millions). */
export function createKnownDevices(maxDevices = 1_000_000): KnownDevices {
  const ids = new Set<string>();
  return {
    has: (deviceId) => ids.has(deviceId),
    add(deviceId) {
      if (ids.size < maxDevices) ids.add(deviceId);
    },
    size: () => ids.size,
  };
}

/** Where known device ids come from at start (the store's telemetry, retained statuses). */
export interface DeviceIdSource {
  name: string;
  ids(): Promise<Iterable<string>>;
}

export interface DeviceIdLoader {
  /** resolves once every source answered or failed once, or after `readyWithinMs` (a slow source goes on loading) */
  ready: Promise<void>;
  close(): Promise<void>;
}

export interface DeviceIdLoaderOptions {
  onError: (source: string, err: unknown) => void;
  /** a failed source is asked again after this */
  retryMs?: number;
  /** start waits at most this long for the sources (a store behind a black hole must not hold it) */
  readyWithinMs?: number;
}

/**
 * Adds the ids every source gives. A source that fails (a store that is down at start) is retried
 * every `retryMs` until it answers, so the protection is complete as soon as the store is back.
 */
export function loadKnownDevices(devices: KnownDevices, sources: readonly DeviceIdSource[], options: DeviceIdLoaderOptions): DeviceIdLoader {
  const { onError, retryMs = 10_000, readyWithinMs = 5_000 } = options;
  const timers = new Set<NodeJS.Timeout>();
  let closed = false;
  async function load(source: DeviceIdSource): Promise<void> {
    try {
      for (const id of await source.ids()) devices.add(id);
    } catch (err) {
      onError(source.name, err);
      if (closed) return;
      const timer = setTimeout(() => {
        timers.delete(timer);
        void load(source);
      }, retryMs);
      timers.add(timer);
    }
  }
  let readyTimer: NodeJS.Timeout | undefined;
  const waited = new Promise<void>((resolve) => (readyTimer = setTimeout(resolve, readyWithinMs)));
  return {
    ready: Promise.race([Promise.all(sources.map(load)), waited]).then(() => clearTimeout(readyTimer)),
    async close() {
      clearTimeout(readyTimer);
      closed = true;
      for (const timer of timers) clearTimeout(timer);
      timers.clear();
    },
  };
}
