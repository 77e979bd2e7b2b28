// Shared routing and sessions for several broker processes: mqemitter-redis carries every publish
// to every node, aedes-persistence-redis keeps retained messages, subscriptions, QoS 1 queues and
// wills. Without a Redis URL, aedes' in-memory defaults are used (one process).
import createRedisPersistence from 'aedes-persistence-redis';
import createRedisEmitter from 'mqemitter-redis';

export interface ClusterBackends {
  persistence: unknown;
  mq: unknown;
  /** disconnects the persistence; aedes closes the emitter itself */
  close(): Promise<void>;
}

interface RedisOptions {
  host: string;
  port: number;
  db: number;
  username?: string;
  password?: string;
}

export function redisOptionsFromUrl(url: string): RedisOptions {
  const parsed = new URL(url);
  return {
    host: parsed.hostname,
    port: parsed.port ? Number(parsed.port) : 6379,
    db: parsed.pathname.length > 1 ? Number(parsed.pathname.slice(1)) : 0,
    ...(parsed.username ? { username: decodeURIComponent(parsed.username) } : {}),
    ...(parsed.password ? { password: decodeURIComponent(parsed.password) } : {}),
  };
}

export function createClusterBackends(redisUrl: string): ClusterBackends {
  const options = redisOptionsFromUrl(redisUrl);
  const persistence = createRedisPersistence({ ...options }) as { destroy(): Promise<void> };
  const mq = createRedisEmitter(options);
  return {
    persistence,
    mq,
    async close() {
      await persistence.destroy();
    },
  };
}
