// Who holds fallback sessions: SSE streams and polling sessions together, per user and in all.
// A user past their cap loses their own oldest session; when every slot is taken, only a session
// whose client has stopped asking (an abandoned poll session) may be ended for a newcomer.
export type LiveTransport = 'sse' | 'poll';
export type EndReason = 'closed' | 'idle' | 'user-cap' | 'evicted' | 'shutdown';

export interface LiveSession {
  readonly subject: string;
  readonly transport: LiveTransport;
  /** ends the session; calls registry.leave(this) */
  end(reason: EndReason): void;
}

export interface SessionRegistryOptions {
  maxSessions: number;
  maxSessionsPerUser: number;
  /** the session that best deserves to go when all slots are taken, if any may */
  abandoned: () => LiveSession | undefined;
}

export interface SessionRegistry {
  /** false: no slot for it (every session is in use) */
  admit(session: LiveSession): boolean;
  leave(session: LiveSession): void;
  size(): number;
  all(): LiveSession[];
}

export function createSessionRegistry(options: SessionRegistryOptions): SessionRegistry {
  const byUser = new Map<string, Set<LiveSession>>();
  let size = 0;

  return {
    admit(session) {
      const mine = byUser.get(session.subject) ?? new Set<LiveSession>();
      // A Set iterates in insertion order: the first is the user's oldest session. Ending it frees
      // a slot, so a user at their cap always gets in.
      while (mine.size >= options.maxSessionsPerUser) mine.values().next().value!.end('user-cap');
      if (size >= options.maxSessions) options.abandoned()?.end('evicted');
      if (size >= options.maxSessions) return false;
      byUser.set(session.subject, mine);
      mine.add(session);
      size += 1;
      return true;
    },
    leave(session) {
      const mine = byUser.get(session.subject);
      if (!mine?.delete(session)) return;
      size -= 1;
      if (mine.size === 0) byUser.delete(session.subject);
    },
    size: () => size,
    all: () => [...byUser.values()].flatMap((s) => [...s]),
  };
}
