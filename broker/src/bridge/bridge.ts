// The glue: client publishes → timestamp → mapping → type check → batcher → delivery (store or spool).
// The broker's event handler only appends to an inbox; mapping runs on the next turn of the event
// loop, so nothing on the routing path waits for decoding, the disk or the store. A QoS >= 1
// message that maps to a point also goes to the acknowledgement log, and its PUBACK waits for the
// log's group commit (held-acks.ts); what the log holds from a crashed run is replayed at start.
import path from 'node:path';
import type { Registry } from 'prom-client';
import type { MqttBroker } from '../broker/mqtt-broker.ts';
import type { AcknowledgeHold, PublishedMessage } from '../broker/types.ts';
import { topicMatches } from '../contract/index.ts';
import type { Logger } from '../logger.ts';
import { kindOf, type FieldKind, type FieldShape, type Point } from '../points/point.ts';
import type { TelemetryStore } from '../stores/types.ts';
import { openAckLog } from './ack-log.ts';
import { createArrivalClock } from './arrival-clock.ts';
import { createBatcher } from './batcher.ts';
import type { BridgeConfig } from './config.ts';
import { createDeadLetters } from './dead-letter.ts';
import { createDelivery } from './delivery.ts';
import { createHeldAcks } from './held-acks.ts';
import { compileRules } from './mapping.ts';
import { createBridgeMetrics, type DeadLetterReason } from './metrics.ts';
import { openSpool } from './spool.ts';

export interface BridgeDeps {
  config: BridgeConfig;
  store: TelemetryStore;
  broker: Pick<MqttBroker, 'events' | 'publish'>;
  dataDir: string;
  log: Logger;
  metrics: Registry;
  now?: () => number;
}

export interface Bridge {
  /** reasons for /readyz: the store is down and points are spooled */
  notReadyReasons(): string[];
  /** points accepted but not yet in the store (memory, batcher, spool) */
  pendingPoints(): number;
  close(): Promise<void>;
}

/** Compiles the rules (a bad rule throws RULE_INVALID), opens the spool and starts listening. */
export async function createBridge(deps: BridgeDeps): Promise<Bridge> {
  const { config, store, broker, log } = deps;
  const now = deps.now ?? Date.now;
  const mapper = compileRules(config.rules);
  const spool = openSpool({ dir: path.resolve(deps.dataDir, 'spool'), maxBytes: config.spoolMaxBytes, fullPolicy: config.spoolFullPolicy });
  if (!spool.isEmpty) log.info({ points: spool.points, bytes: spool.bytes }, 'spooled points from the last run will be replayed');
  const ackLog = openAckLog({
    dir: path.resolve(deps.dataDir, 'ack-log'),
    segmentMaxBytes: config.ackLogSegmentMaxBytes,
    onCommit(messages, seconds) {
      metrics.logCommits.inc();
      metrics.logCommitted.inc(messages);
      metrics.logCommitSeconds.observe(seconds);
    },
    onError(err) {
      metrics.logFailures.inc();
      log.error({ err: err.message }, 'acknowledgement log commit failed: its messages are acknowledged without it');
    },
  });
  const heldAcks = createHeldAcks(ackLog);
  const clock = createArrivalClock();
  const metrics = createBridgeMetrics(deps.metrics, {
    spoolBytes: () => spool.bytes,
    logBytes: () => ackLog.bytes,
    lagSeconds: () => {
      const oldest = [batcher.oldestMs, delivery.oldestMs()].filter((t): t is number => t !== null);
      return oldest.length === 0 ? 0 : Math.max(0, (now() - Math.min(...oldest)) / 1000);
    },
  });
  const delivery = createDelivery({ store, spool, metrics, log, onSettled: heldAcks.settled, maxQueuedBatches: config.maxQueuedBatches, maxWritesInFlight: config.maxWritesInFlight, retryBaseMs: config.retryBaseMs, retryMaxMs: config.retryMaxMs });
  const batcher = createBatcher({
    maxBatchPoints: config.maxBatchPoints,
    flushIntervalMs: config.flushIntervalMs,
    onBatch(batch) {
      heldAcks.formed(batch);
      delivery.submit(batch);
    },
  });
  const deadLetters = createDeadLetters({ broker, metrics, log, logIntervalMs: config.logIntervalMs, ratePerSec: config.deadLetterRatePerSec, now });

  // A field keeps its first kind (InfluxDB fixes it per shard). What the store already holds is
  // loaded in the background, so an unresponsive store does not hold up start-up.
  const kindsByMeasurement = new Map<string, Map<string, FieldKind>>();
  const fieldsOf = (measurement: string) => {
    let fields = kindsByMeasurement.get(measurement);
    if (!fields) kindsByMeasurement.set(measurement, (fields = new Map()));
    return fields;
  };
  store.fieldKinds().then(
    (stored) => {
      for (const [key, kind] of stored) {
        const [measurement, field] = key.split('\u0000') as [string, string];
        const fields = fieldsOf(measurement);
        if (!fields.has(field)) fields.set(field, kind);
      }
    },
    (err: unknown) => log.warn({ err: (err as Error).message }, 'stored field kinds unavailable; learning them from traffic'),
  );

  function conflictingKind(fields: Map<string, FieldKind>, field: string, kind: FieldKind): string | null {
    const known = fields.get(field);
    if (known === undefined) fields.set(field, kind);
    else if (known !== kind) return `${field} is ${known}, got ${kind}`;
    return null;
  }

  /** Shapes whose kinds already agreed with their measurement's: kinds never change once set, so they always will. */
  const agreedShapes = new WeakMap<FieldShape, string>();

  function conflictingField(point: Point): string | null {
    const fields = fieldsOf(point.measurement);
    if (point.kind === 'json') {
      const { shape } = point;
      if (agreedShapes.get(shape) === point.measurement) return null;
      for (let f = 0; f < shape.fields.length; f++) {
        const conflict = conflictingKind(fields, shape.fields[f]!, shape.kinds[f]!);
        if (conflict) return conflict;
      }
      agreedShapes.set(shape, point.measurement);
      return null;
    }
    for (const field in point.fields) {
      const conflict = conflictingKind(fields, field, kindOf(point.fields[field]!));
      if (conflict) return conflict;
    }
    return null;
  }

  /** One message to the batcher; false when it is dead-lettered or ignored. `release` is its held PUBACK. */
  function bridgeOne(topic: string, payload: Buffer, stampMs: number, release: (() => void) | null): boolean {
    const result = mapper.mapTelemetry(topic, payload, stampMs);
    let reason: DeadLetterReason | null = null;
    let detail = '';
    if (!result.ok) {
      if (result.reason !== 'no-rule' || !config.ignoreTopics.some((filter) => topicMatches(filter, topic))) [reason, detail] = [result.reason, result.detail];
    } else {
      const conflict = conflictingField(result.point);
      if (!conflict) {
        batcher.add(result.point, stampMs);
        if (release) heldAcks.add({ topic, payload, stampMs }, release);
        return true;
      }
      [reason, detail] = ['type-conflict', conflict];
    }
    release?.(); // nothing to store: not held
    if (reason) deadLetters.send(reason, { topic, payload, receivedAtMs: Math.trunc(stampMs) }, detail);
    return false;
  }

  // The inbox holds the broker's own message objects, their arrival times and held PUBACKs side by
  // side, so queuing a message allocates nothing more.
  let inbox: PublishedMessage[] = [];
  let arrivals: number[] = [];
  let releases: Array<(() => void) | null> = [];
  let scheduled = false;

  function drain(): void {
    scheduled = false;
    const messages = inbox;
    const times = arrivals;
    const holds = releases;
    inbox = [];
    arrivals = [];
    releases = [];
    let received = 0;
    for (let i = 0; i < messages.length; i++) {
      const { topic, payload } = messages[i]!;
      if (bridgeOne(topic, payload, clock.stamp(times[i]!), holds[i]!)) received++;
    }
    heldAcks.endDrain();
    if (received > 0) metrics.received.inc(received);
  }

  // What the last run acknowledged but may not have stored, with the timestamps it fixed then.
  if (config.enabled && ackLog.recovered.length > 0) {
    log.info({ messages: ackLog.recovered.length }, 'acknowledged messages from the last run are replayed');
    let received = 0;
    for (const m of ackLog.recovered) {
      clock.passed(m.stampMs);
      if (bridgeOne(m.topic, m.payload, m.stampMs, null)) received++;
    }
    metrics.logReplayed.inc(ackLog.recovered.length);
    metrics.received.inc(received);
  }

  const onClientPublish = (message: PublishedMessage, _client: unknown, hold: AcknowledgeHold | null) => {
    if (message.topic.startsWith('$')) return; // never $SYS or our own dead letters
    inbox.push(message);
    arrivals.push(now());
    releases.push(hold !== null && mapper.routes(message.topic) ? hold.take() : null);
    if (!scheduled) {
      scheduled = true;
      setImmediate(drain);
    }
  };
  if (config.enabled) broker.events.on('clientPublish', onClientPublish);

  return {
    notReadyReasons: () => (delivery.isStoreDown ? ['telemetry store unreachable: points are spooled'] : []),
    pendingPoints: () => inbox.length + batcher.size + delivery.pendingPoints,
    async close() {
      broker.events.off('clientPublish', onClientPublish);
      drain();
      batcher.flush();
      await delivery.close();
      await batcher.close();
      await ackLog.close();
      spool.close();
    },
  };
}
