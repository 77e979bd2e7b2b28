// One in-process subscriber per SSE stream or polling session: subscribes its granted filters on
// the broker and undoes them all on close. A message matching two filters is delivered once.
import type { MqttBroker } from '../broker/mqtt-broker.ts';
import type { PublishedMessage } from '../broker/types.ts';

export interface Subscriber {
  close(): Promise<void>;
}

export async function subscribeAll(broker: Pick<MqttBroker, 'subscribe'>, filters: readonly string[], onMessage: (message: PublishedMessage) => void): Promise<Subscriber> {
  let last: PublishedMessage | undefined;
  const deliver = (m: PublishedMessage) => {
    // Overlapping filters hand over the same packet back to back (same payload buffer).
    if (last && m.payload === last.payload && m.topic === last.topic) return;
    last = m;
    onMessage(m);
  };
  const undo = await Promise.all(filters.map((f) => broker.subscribe(f, deliver)));
  return {
    async close() {
      await Promise.all(undo.map((u) => u()));
    },
  };
}
