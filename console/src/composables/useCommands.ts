// Commands to one device and their replies, matched by correlation id: each entry goes
// sending → sent → ok | error (the reply says which) | no-reply (none within `timeoutMs`),
// or not-sent when the broker refused it. Replies nobody asked for are listed too.
import { parseDeviceTopic, topics } from '@telemq/broker/contract';
import { onScopeDispose, shallowRef } from 'vue';
import { useLiveStore } from '../stores/live.ts';
import { commandPayload, readReply, type CommandBuild, type CommandEntry } from '../lib/commands.ts';

const decoder = new TextDecoder();
const maxEntries = 30;

export function useCommands(deviceId: string, timeoutMs = 10_000) {
  const live = useLiveStore();
  const entries = shallowRef<CommandEntry[]>([]);
  const timers = new Set<ReturnType<typeof setTimeout>>();
  let serial = 0;

  function update(id: string, change: Partial<CommandEntry>): void {
    entries.value = entries.value.map((e) => (e.id === id ? { ...e, ...change } : e));
  }
  function add(entry: CommandEntry): void {
    entries.value = [entry, ...entries.value].slice(0, maxEntries);
  }

  async function send(build: Extract<CommandBuild, { ok: true }>): Promise<void> {
    serial += 1;
    const id = `${Date.now().toString(36)}-${serial}`;
    const sentAtMs = Date.now();
    add({ id, name: build.name, sentAtMs, state: 'sending', roundTripMs: null, detail: '' });
    try {
      await live.publish(topics.command(deviceId, build.name), commandPayload(build, id));
    } catch (err) {
      return update(id, { state: 'not-sent', detail: (err as Error).message });
    }
    if (entries.value.find((e) => e.id === id)?.state === 'sending') update(id, { state: 'sent' });
    const timer = setTimeout(() => {
      timers.delete(timer);
      if (entries.value.find((e) => e.id === id)?.state === 'sent') update(id, { state: 'no-reply', detail: `no reply within ${timeoutMs / 1000} s` });
    }, timeoutMs);
    timers.add(timer);
  }

  const watch = live.watch(topics.replies(deviceId), (m) => {
    const name = parseDeviceTopic(m.topic)?.name ?? '';
    const reply = readReply(decoder.decode(m.payload));
    const request = reply.id === null ? undefined : entries.value.find((e) => e.id === reply.id);
    const state = reply.ok ? 'ok' : 'error';
    if (request) update(request.id, { state, roundTripMs: m.receivedAtMs - request.sentAtMs, detail: reply.detail });
    else add({ id: reply.id ?? `reply-${m.receivedAtMs}`, name, sentAtMs: m.receivedAtMs, state, roundTripMs: null, detail: reply.detail });
  });

  onScopeDispose(() => {
    watch.stop();
    for (const t of timers) clearTimeout(t);
  });

  return { entries, send };
}
