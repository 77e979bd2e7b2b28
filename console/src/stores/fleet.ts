// Every device: presence (retained status topics), last seen and latest values, kept in a plain
// Map and published to the view at most every `flushMs` (high message rates never re-render per message).
import { parseDeviceTopic, topics, type DeviceSummary } from '@telemq/broker/contract';
import { defineStore } from 'pinia';
import { computed, ref, shallowRef } from 'vue';
import { createFrameScheduler } from '../composables/frame.ts';
import { readTelemetry } from '../composables/telemetry.ts';
import type { Watch } from '../live/hub.ts';
import type { LiveMessage } from '../live/live-source.ts';
import { useLiveStore } from './live.ts';
import { useSessionStore } from './session.ts';

export type StatusFilter = 'all' | 'online' | 'offline';

const decoder = new TextDecoder();

export const useFleetStore = defineStore('fleet', () => {
  const live = useLiveStore();
  const session = useSessionStore();
  const byId = new Map<string, DeviceSummary>();
  /** frozen copies handed to the view; a device's copy is replaced only when it changed */
  const snapshots = new Map<string, DeviceSummary>();
  const dirty = new Set<string>();
  let order: string[] = [];
  const devices = shallowRef<DeviceSummary[]>([]);
  const search = ref('');
  const statusFilter = ref<StatusFilter>('all');
  const page = ref(0);
  const pageSize = 50;
  const flushMs = 500;
  const scheduler = createFrameScheduler(flush, flushMs);
  let watches: Watch[] = [];

  function entry(deviceId: string): DeviceSummary {
    let d = byId.get(deviceId);
    if (!d) {
      d = { deviceId, status: 'unknown', lastSeen: null, latest: {} };
      byId.set(deviceId, d);
    }
    return d;
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
      d.lastSeen = Math.max(d.lastSeen ?? 0, sample.tMs);
      Object.assign(d.latest, sample.fields);
    }
    dirty.add(parsed.deviceId);
    scheduler.schedule();
  }

  function flush(): void {
    if (dirty.size === 0) return;
    let added = false;
    for (const id of dirty) {
      const d = byId.get(id);
      if (!d) continue;
      if (!snapshots.has(id)) added = true;
      snapshots.set(id, Object.freeze({ ...d, latest: { ...d.latest } }));
    }
    dirty.clear();
    if (added) order = [...snapshots.keys()].sort((a, b) => a.localeCompare(b, undefined, { numeric: true }));
    devices.value = order.map((id) => snapshots.get(id)!);
  }

  async function start(): Promise<void> {
    if (watches.length > 0) return;
    watches = [live.watch(topics.allStatus, onMessage), live.watch(topics.allTelemetry, onMessage)];
    try {
      const res = await session.api.devices();
      for (const d of res.devices) {
        const e = entry(d.deviceId);
        if (e.status === 'unknown') e.status = d.status;
        if (d.lastSeen !== null && (e.lastSeen ?? 0) < d.lastSeen) e.lastSeen = d.lastSeen;
        e.latest = { ...d.latest, ...e.latest };
      }
      for (const d of res.devices) dirty.add(d.deviceId);
      scheduler.schedule();
    } catch {
      // The list from the store is a head start; live presence fills it anyway.
    }
  }

  function stop(): void {
    for (const w of watches) w.stop();
    watches = [];
    scheduler.cancel();
    byId.clear();
    snapshots.clear();
    dirty.clear();
    order = [];
    devices.value = [];
  }

  const counts = computed(() => {
    let online = 0;
    let offline = 0;
    for (const d of devices.value) {
      if (d.status === 'online') online += 1;
      else if (d.status === 'offline') offline += 1;
    }
    return { online, offline, total: devices.value.length };
  });

  const matching = computed(() => {
    const q = search.value.trim().toLowerCase();
    return devices.value.filter((d) => (statusFilter.value === 'all' || d.status === statusFilter.value) && (q === '' || d.deviceId.toLowerCase().includes(q)));
  });
  /** one page of the matching devices: a fleet of thousands renders 50 rows */
  const pageCount = computed(() => Math.max(1, Math.ceil(matching.value.length / pageSize)));
  const visible = computed(() => {
    const p = Math.min(page.value, pageCount.value - 1);
    return matching.value.slice(p * pageSize, (p + 1) * pageSize);
  });

  return { devices, matching, visible, counts, search, statusFilter, page, pageCount, start, stop, onMessage, flush };
});
