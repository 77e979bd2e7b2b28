// The explorer's publish pane: a message as any client would send it. Over MQTT (WebSocket) the
// broker is asked first with a dry run of POST /api/publish, since an MQTT 3.1.1 broker drops a
// forbidden PUBLISH without saying so; the SSE and poll sources publish through POST /api/publish
// itself. Either way a refusal comes back with the broker's reason.
import { shallowRef } from 'vue';
import { useLiveStore } from '../stores/live.ts';
import { useSessionStore } from '../stores/session.ts';

export interface PublishDraft {
  topic: string;
  payload: string;
  qos: 0 | 1;
  retain: boolean;
}

export type PublishOutcome =
  | { state: 'idle' }
  | { state: 'sending'; topic: string }
  | { state: 'sent'; topic: string; via: 'mqtt' | 'http'; atMs: number }
  | { state: 'refused'; topic: string; reason: string };

export function usePublish() {
  const live = useLiveStore();
  const session = useSessionStore();
  const outcome = shallowRef<PublishOutcome>({ state: 'idle' });

  async function publish(draft: PublishDraft): Promise<void> {
    const { topic, payload, qos, retain } = draft;
    outcome.value = { state: 'sending', topic };
    const via = live.transport === 'mqtt' ? 'mqtt' : 'http';
    try {
      if (via === 'mqtt') await session.api.publish({ topic, payload, qos, retain, dryRun: true });
      await live.publish(topic, payload, { qos, retain });
      outcome.value = { state: 'sent', topic, via, atMs: Date.now() };
    } catch (err) {
      outcome.value = { state: 'refused', topic, reason: (err as Error).message };
    }
  }

  return { outcome, publish };
}
