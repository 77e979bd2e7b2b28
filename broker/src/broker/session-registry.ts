// Which client ids have a stored session, for Session Present in CONNACK [MQTT-3.2.2-2]. The broker
// reports connects and disconnects; a durable persistence answers from its own file, so a session
// resumed after a restart still reports 1 (persistence/sqlite-persistence.ts).

export interface SessionRegistry {
  has(clientId: string): boolean;
  /** after CONNACK; a clean session ends any stored one [MQTT-3.1.2-6] */
  connected(clientId: string, clean: boolean): void;
  disconnected(clientId: string, clean: boolean): void;
}

/** Sessions known to this process only: what a broker without a durable persistence can tell. */
export function createMemorySessionRegistry(): SessionRegistry {
  const sessions = new Set<string>();
  return {
    has: (clientId) => sessions.has(clientId),
    connected(clientId, clean) {
      if (clean) sessions.delete(clientId);
      else sessions.add(clientId);
    },
    disconnected() {},
  };
}
