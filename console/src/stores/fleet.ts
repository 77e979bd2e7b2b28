// Every device: status (retained status topics), last seen, its own interval and latest values,
// kept in a plain Map and published to the view at most every `flushMs` (high message rates never
// re-render per message). Presence (fleet/presence.ts) is re-judged every second and whenever the
// connection changes; only rows whose presence changed get a new snapshot.
import { parseDeviceTopic, topics, type DeviceSummary } from '@telemq/broker/contract';
import { defineStore } from 'pinia';
import { computed, ref, shallowRef, watch } from 'vue';
import { createFrameScheduler } from '../lib/frame.ts';
import { readTelemetry } from '../lib/telemetry.ts';
import { nextIntervalMs, presenceOf, type Presence } from '../fleet/presence.ts';
import type { Watch } from '../live/hub.ts';
import type { LiveMessage } from '../live/live-source.ts';
import { useLiveStore } from './live.ts';
import { useSessionStore } from './session.ts';
import { useSettingsStore } from './settings.ts';

export type StatusFilter = 'all' | Presence;

export interface FleetDevice extends DeviceSummary {
  intervalMs: number | null;
  presence: Presence;
}

const decoder = new TextDecoder();
/** device ids in natural order (dev-2 before dev-10); one collator, as making one per compare costs far more */
const byNaturalId = new Intl.Collator(undefined, { numeric: true }).compare;

/** `sorted` with `added` (sorted too) merged in: linear, so a fleet of thousands is not re-sorted per flush */
export function mergeSorted(sorted: readonly string[], added: string[], compare: (a: string, b: string) => number): string[] {
  const out: string[] = [];
  let i = 0;
  let j = 0;
  while (i < sorted.length || j < added.length) {
    if (j >= added.length || (i < sorted.length && compare(sorted[i]!, added[j]!) <= 0)) out.push(sorted[i++]!);
    else out.push(added[j++]!);
  }
  return out;
}

export const useFleetStore = defineStore('fleet', () => {
  const live = useLiveStore();
  const session = useSessionStore();
  const settings = useSettingsStore();
  const byId = new Map<string, FleetDevice>();
  /** frozen copies handed to the view; a device's copy is replaced only when it changed */
  const snapshots = new Map<string, FleetDevice>();
  const dirty = new Set<string>();
  /**
   * When each device's last telemetry came over the live connection. Its interval is learned only
   * from two of these: the store's last-seen time (the device list at start) is the same message the
   * live stream may deliver a moment later, and that gap of milliseconds, taken for the interval,
   * made a steady device stale (a later 5 s gap then looked like an outage and was ignored).
   */
  const lastLiveMs = new Map<string, number>();
  let order: string[] = [];
  const devices = shallowRef<FleetDevice[]>([]);
  /** the first list from the store has been read (or failed): an empty fleet is really empty */
  const isLoaded = ref(false);
  const search = ref('');
  const statusFilter = ref<StatusFilter>('all');
  const page = ref(0);
  const pageSize = 50;
  const flushMs = 500;
  const scheduler = createFrameScheduler(flush, flushMs);
  let watches: Watch[] = [];
  let ticker: ReturnType<typeof setInterval> | undefined;

  function entry(deviceId: string): FleetDevice {
    let d = byId.get(deviceId);
    if (!d) {
      d = { deviceId, status: 'unknown', lastSeen: null, latest: {}, intervalMs: null, presence: 'unknown' };
      byId.set(deviceId, d);
    }
    return d;
  }

  function judge(d: FleetDevice, nowMs: number): boolean {
    const next = presenceOf(d, nowMs, live.isConnected, settings.settings.staleAfterIntervals);
    if (next === d.presence) return false;
    d.presence = next;
    return true;
  }

  function onMessage(message: LiveMessage): void {
    const parsed = parseDeviceTopic(message.topic);
    if (!parsed) return;
    const d = entry(parsed.deviceId);
    if (parsed.kind === 'status') {
      const text = decoder.decode(message.payload).trim();
      d.status = text === 'online' ? 'online' : text === 'offline' ? 'offline' : 'unknown';
    } else if (parsed.kind === 'telemetry') {
      const sample = readTelemetry(message.payload, message.receivedAtMs);
      if (!sample) return;
      const previousMs = lastLiveMs.get(parsed.deviceId);
      if (previousMs !== undefined) d.intervalMs = nextIntervalMs(d.intervalMs, sample.tMs - previousMs);
      lastLiveMs.set(parsed.deviceId, Math.max(previousMs ?? 0, sample.tMs));
      d.lastSeen = Math.max(d.lastSeen ?? 0, sample.tMs);
      Object.assign(d.latest, sample.fields);
    } else return;
    judge(d, Date.now());
    dirty.add(parsed.deviceId);
    scheduler.schedule();
  }

  function rejudgeAll(): void {
    const nowMs = Date.now();
    for (const d of byId.values()) if (judge(d, nowMs)) dirty.add(d.deviceId);
    if (dirty.size > 0) scheduler.schedule();
  }

  function flush(): void {
    if (dirty.size === 0) return;
    const added: string[] = [];
    for (const id of dirty) {
      const d = byId.get(id);
      if (!d) continue;
      if (!snapshots.has(id)) added.push(id);
      snapshots.set(id, Object.freeze({ ...d, latest: { ...d.latest } }));
    }
    dirty.clear();
    if (added.length > 0) order = mergeSorted(order, added.sort(byNaturalId), byNaturalId);
    devices.value = order.map((id) => snapshots.get(id)!);
  }

  async function start(): Promise<void> {
    if (watches.length > 0) return;
    watches = [live.watch(topics.allStatus, onMessage), live.watch(topics.allTelemetry, onMessage)];
    ticker = setInterval(rejudgeAll, 1000);
    void settings.load();
    try {
      const res = await session.api.devices();
      for (const d of res.devices) {
        const e = entry(d.deviceId);
        if (e.status === 'unknown') e.status = d.status;
        if (d.lastSeen !== null && (e.lastSeen ?? 0) < d.lastSeen) e.lastSeen = d.lastSeen;
        e.latest = { ...d.latest, ...e.latest };
        judge(e, Date.now());
        dirty.add(d.deviceId);
      }
      scheduler.schedule();
    } catch {
      // The list from the store is a head start; live presence fills it anyway.
    }
    isLoaded.value = true;
  }

  function stop(): void {
    for (const w of watches) w.stop();
    watches = [];
    clearInterval(ticker);
    scheduler.cancel();
    byId.clear();
    lastLiveMs.clear();
    snapshots.clear();
    dirty.clear();
    order = [];
    devices.value = [];
    isLoaded.value = false;
  }

  // Disconnected: everything shown turns stale at once; reconnected: judged afresh.
  watch(() => live.isConnected, rejudgeAll);

  const counts = computed(() => {
    const out: Record<Presence, number> & { total: number } = { online: 0, offline: 0, stale: 0, unknown: 0, total: devices.value.length };
    for (const d of devices.value) out[d.presence] += 1;
    return out;
  });

  const matching = computed(() => {
    const q = search.value.trim().toLowerCase();
    return devices.value.filter((d) => (statusFilter.value === 'all' || d.presence === statusFilter.value) && (q === '' || d.deviceId.toLowerCase().includes(q)));
  });
  /** one page of the matching devices: a fleet of thousands renders 50 rows */
  const pageCount = computed(() => Math.max(1, Math.ceil(matching.value.length / pageSize)));
  const visible = computed(() => {
    const p = Math.min(page.value, pageCount.value - 1);
    return matching.value.slice(p * pageSize, (p + 1) * pageSize);
  });

  /** one device's current snapshot (the device page's badge) */
  function get(deviceId: string): FleetDevice | undefined {
    void devices.value; // a caller's computed follows each flush
    return snapshots.get(deviceId);
  }

  return { devices, isLoaded, matching, visible, counts, search, statusFilter, page, pageCount, start, stop, onMessage, flush, get };
});
