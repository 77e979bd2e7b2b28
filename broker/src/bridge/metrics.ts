import { Counter, Gauge, Histogram, type Registry } from 'prom-client';

export type DropReason = 'spool-full' | 'store-rejected';
export type DeadLetterReason = 'no-rule' | 'undecodable' | 'invalid-name' | 'type-conflict';

export interface BridgeMetrics {
  received: Counter;
  written: Counter;
  spooled: Counter;
  dropped: Counter<'reason'>;
  deadLettered: Counter<'reason'>;
  deadLettersUnpublished: Counter<'reason'>;
  writeSeconds: Histogram;
  /** the acknowledgement log: fsyncs, messages they made durable, their latency, failures, replays */
  logCommits: Counter;
  logCommitted: Counter;
  logCommitSeconds: Histogram;
  logFailures: Counter;
  logReplayed: Counter;
}

/** Counters and gauges of the bridge; the gauges read live state through the callbacks. */
export function createBridgeMetrics(registry: Registry, live: { spoolBytes(): number; logBytes(): number; lagSeconds(): number }): BridgeMetrics {
  const registers = [registry];
  new Gauge({ name: 'telemq_bridge_spool_bytes', help: 'Bytes of spool segment files on disk', registers, collect() { this.set(live.spoolBytes()); } });
  new Gauge({ name: 'telemq_bridge_ack_log_bytes', help: 'Bytes of acknowledgement log segment files on disk', registers, collect() { this.set(live.logBytes()); } });
  new Gauge({ name: 'telemq_bridge_lag_seconds', help: 'Age of the oldest point not yet written to the store', registers, collect() { this.set(live.lagSeconds()); } });
  return {
    received: new Counter({ name: 'telemq_bridge_points_received_total', help: 'Points mapped from client publishes', registers }),
    written: new Counter({ name: 'telemq_bridge_points_written_total', help: 'Points the store accepted', registers }),
    spooled: new Counter({ name: 'telemq_bridge_points_spooled_total', help: 'Points written to the on-disk spool', registers }),
    dropped: new Counter({ name: 'telemq_bridge_points_dropped_total', help: 'Points given up, by reason', labelNames: ['reason'], registers }),
    deadLettered: new Counter({ name: 'telemq_bridge_messages_dead_lettered_total', help: 'Messages not bridged and republished on the dead-letter topic, by reason', labelNames: ['reason'], registers }),
    deadLettersUnpublished: new Counter({ name: 'telemq_bridge_dead_letters_unpublished_total', help: 'Dead letters counted but not republished: over the dead-letter rate', labelNames: ['reason'], registers }),
    logCommits: new Counter({ name: 'telemq_bridge_ack_log_commits_total', help: 'Group commits (write + fdatasync) of the acknowledgement log', registers }),
    logCommitted: new Counter({ name: 'telemq_bridge_ack_log_messages_total', help: 'QoS >= 1 telemetry messages made durable in the acknowledgement log before their PUBACK', registers }),
    logCommitSeconds: new Histogram({ name: 'telemq_bridge_ack_log_commit_seconds', help: 'Latency of one group commit, write to fsync done', buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1], registers }),
    logFailures: new Counter({ name: 'telemq_bridge_ack_log_failures_total', help: 'Failed acknowledgement log commits (their messages were acknowledged without it)', registers }),
    logReplayed: new Counter({ name: 'telemq_bridge_ack_log_replayed_total', help: 'Messages replayed at start-up from the acknowledgement log of the last run', registers }),
    writeSeconds: new Histogram({ name: 'telemq_bridge_batch_write_seconds', help: 'Latency of one batch write to the store', buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10], registers }),
  };
}
