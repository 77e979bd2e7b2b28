// One device's live data: a ring buffer per numeric field, the latest raw message, replies.
// Charts follow `frame`, which changes at most once per animation frame.
import { parseDeviceTopic, topics } from '@telemq/broker/contract';
import { onScopeDispose, ref, shallowRef } from 'vue';
import { useLiveStore } from '../stores/live.ts';
import { createFrameScheduler } from './frame.ts';
import { createRing, createSeriesRing, type SeriesRing } from './ring-buffer.ts';
import { readTelemetry } from './telemetry.ts';

export interface RawMessage {
  topic: string;
  text: string;
  sizeBytes: number;
  receivedAtMs: number;
}

export interface Reply extends RawMessage {
  name: string;
}

const decoder = new TextDecoder();

export function useDeviceLive(deviceId: string, capacity = 4000) {
  const live = useLiveStore();
  const series = new Map<string, SeriesRing>();
  const fields = ref<string[]>([]);
  const frame = ref(0);
  const lastRaw = shallowRef<RawMessage | null>(null);
  const replyRing = createRing<Reply>(50);
  const replies = shallowRef<Reply[]>([]);
  const status = ref<string>('unknown');
  const scheduler = createFrameScheduler(() => {
    frame.value += 1;
  });

  function raw(topic: string, payload: Uint8Array, receivedAtMs: number): RawMessage {
    return { topic, text: decoder.decode(payload), sizeBytes: payload.byteLength, receivedAtMs };
  }

  const watches = [
    live.watch(topics.telemetry(deviceId), (m) => {
      lastRaw.value = raw(m.topic, m.payload, m.receivedAtMs);
      const sample = readTelemetry(m.payload, m.receivedAtMs);
      if (!sample) return;
      for (const [name, value] of Object.entries(sample.fields)) {
        let ring = series.get(name);
        if (!ring) {
          ring = createSeriesRing(capacity);
          series.set(name, ring);
          fields.value = [...series.keys()].sort();
        }
        ring.push(sample.tMs, value);
      }
      scheduler.schedule();
    }),
    live.watch(topics.status(deviceId), (m) => {
      status.value = decoder.decode(m.payload).trim();
    }),
    live.watch(topics.replies(deviceId), (m) => {
      const name = parseDeviceTopic(m.topic)?.name ?? '';
      replyRing.push({ ...raw(m.topic, m.payload, m.receivedAtMs), name });
      replies.value = replyRing.toArray().reverse();
    }),
  ];

  onScopeDispose(() => {
    for (const w of watches) w.stop();
    scheduler.cancel();
  });

  return { series, fields, frame, lastRaw, replies, status, ready: watches[0]!.result };
}
