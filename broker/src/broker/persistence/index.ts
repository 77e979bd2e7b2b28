// The embedded session persistence as the broker takes it: the aedes persistence, the retained
// index it shares with the per-client bounds, the session registry for Session Present, and close.
import type { Logger } from '../../logger.ts';
import { createRetainedIndex, type RetainedIndex } from '../retained-index.ts';
import type { SessionRegistry } from '../session-registry.ts';
import type { BrokerStats } from '../stats.ts';
import type { CommitStats } from './session-db.ts';
import { SqlitePersistence } from './sqlite-persistence.ts';

export interface SessionStoreConfig {
  maxSessionQueueMessages: number;
  maxSessionQueueBytes: number;
  sessionExpirySec: number;
}

export interface SessionStore {
  persistence: unknown;
  retained: RetainedIndex;
  sessions: SessionRegistry;
  commitStats(): CommitStats;
  /** after the broker has closed: commits what is pending and closes the file */
  close(): Promise<void>;
}

export function createSessionStore(deps: { file: string; config: SessionStoreConfig; stats: BrokerStats; log: Logger }): SessionStore {
  const { config, stats, log } = deps;
  const retained = createRetainedIndex();
  const persistence = new SqlitePersistence({
    file: deps.file,
    retained,
    queueBounds: { maxMessages: config.maxSessionQueueMessages, maxBytes: config.maxSessionQueueBytes },
    sessionExpirySec: config.sessionExpirySec,
    onDropped: (reason, count) => stats.drop(reason, count),
    onSessionExpired(clientId) {
      stats.sessionsExpired++;
      log.info({ clientId, expirySec: config.sessionExpirySec }, 'session expired');
    },
    onCommitError: (err) => log.error({ err }, 'session persistence commit failed'),
  });
  return {
    persistence,
    retained,
    sessions: persistence.sessions,
    commitStats: persistence.commitStats,
    close: () => persistence.destroy(),
  };
}
