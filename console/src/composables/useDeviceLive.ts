// One device's live data: a ring buffer per numeric field and the latest raw message. Once the
// live subscription is active, the window before it is loaded from the store (`prefill`), so a
// live chart starts full instead of empty; `known` says whether the broker knows the device.
// Charts follow `frame`, which changes at most once per animation frame.
import { topics } from '@telemq/broker/contract';
import { onScopeDispose, ref, shallowRef } from 'vue';
import { useLiveStore } from '../stores/live.ts';
import { useSessionStore } from '../stores/session.ts';
import { createFrameScheduler } from '../lib/frame.ts';
import { createSeriesRing, type SeriesRing } from '../lib/ring-buffer.ts';
import { readTelemetry } from '../lib/telemetry.ts';

export interface RawMessage {
  topic: string;
  text: string;
  sizeBytes: number;
  receivedAtMs: number;
}

export type DeviceKnown = 'checking' | 'known' | 'unknown';

const decoder = new TextDecoder();

export function useDeviceLive(deviceId: string, windowMs: number, capacity = 4000) {
  const live = useLiveStore();
  const session = useSessionStore();
  const series = new Map<string, SeriesRing>();
  /** stored points of the window before the first live point, per field */
  const stored = new Map<string, { t: number[]; v: Array<number | null> }>();
  const fields = ref<string[]>([]);
  const frame = ref(0);
  const lastRaw = shallowRef<RawMessage | null>(null);
  const known = ref<DeviceKnown>('checking');
  /** the live window has its stored part (or there was none to load) */
  const isPrefilled = ref(false);
  const scheduler = createFrameScheduler(() => {
    frame.value += 1;
  });

  function addFields(names: Iterable<string>): void {
    const next = new Set([...fields.value, ...names]);
    if (next.size !== fields.value.length) fields.value = [...next].sort();
  }

  const watch = live.watch(topics.telemetry(deviceId), (m) => {
    lastRaw.value = { topic: m.topic, text: decoder.decode(m.payload), sizeBytes: m.payload.byteLength, receivedAtMs: m.receivedAtMs };
    known.value = 'known';
    const sample = readTelemetry(m.payload, m.receivedAtMs);
    if (!sample) return;
    for (const [name, value] of Object.entries(sample.fields)) {
      let ring = series.get(name);
      if (!ring) series.set(name, (ring = createSeriesRing(capacity)));
      ring.push(sample.tMs, value);
    }
    addFields(Object.keys(sample.fields));
    scheduler.schedule();
  });

  /** After the subscription is active: the device's stored fields, and the window before now. */
  async function prefill(): Promise<void> {
    let latest: Record<string, unknown> | undefined;
    try {
      const summary = (await session.api.devices()).devices.find((d) => d.deviceId === deviceId);
      latest = summary?.latest;
      if (known.value === 'checking') known.value = summary ? 'known' : 'unknown';
    } catch {
      if (known.value === 'checking') known.value = 'known'; // cannot tell: do not claim it is unknown
    }
    const names = Object.entries(latest ?? {}).flatMap(([k, v]) => (typeof v === 'number' || typeof v === 'boolean' ? [k] : []));
    const toMs = Date.now();
    await Promise.all(
      names.map(async (field) => {
        try {
          const res = await session.api.history({ device: deviceId, field, from: toMs - windowMs, to: toMs + 1 });
          stored.set(field, { t: res.points.map((p) => p.t), v: res.points.map((p) => p.v) });
        } catch {
          // the live part still shows
        }
      }),
    );
    addFields(names);
    isPrefilled.value = true;
    scheduler.schedule();
  }
  void watch.result.then(prefill);

  /** The window of one field from `fromMs`: stored points before the first live one, then live. */
  function window(field: string, fromMs: number): { t: number[]; v: Array<number | null> } {
    const liveData = series.get(field)?.since(fromMs);
    const firstLive = liveData && liveData.t.length > 0 ? liveData.t[0]! : Infinity;
    const t: number[] = [];
    const v: Array<number | null> = [];
    const before = stored.get(field);
    if (before) {
      for (let i = 0; i < before.t.length; i++) {
        if (before.t[i]! >= fromMs && before.t[i]! < firstLive) {
          t.push(before.t[i]!);
          v.push(before.v[i]!);
        }
      }
    }
    for (let i = 0; i < (liveData?.t.length ?? 0); i++) {
      t.push(liveData!.t[i]!);
      v.push(liveData!.v[i]!);
    }
    return { t, v };
  }

  onScopeDispose(() => {
    watch.stop();
    scheduler.cancel();
  });

  return { series, fields, frame, lastRaw, known, isPrefilled, window, ready: watch.result };
}
