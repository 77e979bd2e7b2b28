// Plain counters the routing path bumps (one integer add per message); metrics and $SYS read them
// on their own schedule, so no per-message allocation or prom-client call happens while routing.

/** Why a message was not delivered or a client was cut off (one kebab-case vocabulary). */
export type DropReason =
  /** QoS 0 to a subscriber whose write queue is over guards.maxClientQueueBytes */
  | 'slow-consumer-qos0'
  /** a subscriber with QoS >= 1 messages in flight acknowledged nothing for guards.stalledClientTimeoutMs and was disconnected */
  | 'stalled-consumer'
  /** a QoS >= 1 message still queued for a clean session when its connection closed [MQTT-3.1.2-6] */
  | 'session-ended'
  /** the publish was refused by authorizePublish */
  | 'not-authorized'
  /** a client tried to publish to a $SYS topic */
  | 'sys-topic'
  /** a persistent session's queue was over guards.maxSessionQueueMessages or maxSessionQueueBytes: its oldest message */
  | 'session-queue-full'
  /** queued for a session deleted after guards.sessionExpirySec without its client */
  | 'session-expired';

export interface BrokerStats {
  /** PUBLISH packets accepted from clients */
  messagesReceived: number;
  /** PUBLISH packets handed to subscribers' connections */
  messagesSent: number;
  payloadBytesReceived: number;
  payloadBytesSent: number;
  /** persistent sessions deleted after guards.sessionExpirySec */
  sessionsExpired: number;
  /** QoS >= 1 messages waiting behind subscribers' send windows, all subscribers together */
  qos1Queued: number;
  /** routed messages whose publisher was held because a subscriber's QoS >= 1 queue was full */
  publishesHeld: number;
  drops: Record<string, number>;
  drop(reason: DropReason, count?: number): void;
}

export function createBrokerStats(): BrokerStats {
  const drops: Record<DropReason, number> = {
    'slow-consumer-qos0': 0,
    'stalled-consumer': 0,
    'session-ended': 0,
    'not-authorized': 0,
    'sys-topic': 0,
    'session-queue-full': 0,
    'session-expired': 0,
  };
  return {
    messagesReceived: 0,
    messagesSent: 0,
    payloadBytesReceived: 0,
    payloadBytesSent: 0,
    sessionsExpired: 0,
    qos1Queued: 0,
    publishesHeld: 0,
    drops,
    drop(reason, count = 1) {
      drops[reason] += count;
    },
  };
}
