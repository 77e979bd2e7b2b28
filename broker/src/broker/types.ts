import type { Identity } from '../contract/index.ts';

export type TransportKind = 'tcp' | 'tls' | 'ws' | 'wss';

/** What the transport knows about a connection before MQTT CONNECT arrives. */
export interface ConnectionContext {
  transport: TransportKind;
  remoteAddress: string;
  /** token offered on the WebSocket URL or as the second subprotocol */
  transportToken?: string;
  /** set by authenticate */
  identity?: Identity;
}

export interface ClientRef {
  /** MQTT client id */
  id: string;
  context: ConnectionContext;
}

/** MQTT 3.1.1 CONNACK return codes [MQTT-3.2.2.3]. */
export const ConnackCode = {
  unacceptableProtocol: 1,
  identifierRejected: 2,
  serverUnavailable: 3,
  badCredentials: 4,
  notAuthorized: 5,
} as const;

export type AuthResult =
  | { ok: true; identity: Identity }
  | { ok: false; returnCode: (typeof ConnackCode)[keyof typeof ConnackCode]; reason: string };

/** A packet that breaks a MUST of the spec; its connection is closed without an answer [MQTT-4.8.0-1]. */
export interface ProtocolViolation {
  /** the clause, e.g. 'MQTT-1.5.3-1' */
  clause: string;
  reason: 'malformed-utf8' | 'nul-character' | 'invalid-topic' | 'invalid-filter' | 'protocol-violation';
}

export type PublishDecision = 'allow' | 'deny' | 'disconnect';

export interface PublishedMessage {
  topic: string;
  payload: Buffer;
  qos: 0 | 1 | 2;
  retain: boolean;
}

/**
 * Comes with a QoS >= 1 client publish when the broker holds acknowledgements: a consumer that must
 * make the message durable first calls take() while handling the event and the returned release
 * once it is; the PUBACK (PUBREC) goes out when every release has been called.
 */
export interface AcknowledgeHold {
  take(): () => void;
}

/** Policy hooks, async at our boundary; the adapter turns them into aedes callbacks once. */
export interface BrokerHooks {
  authenticate(client: ClientRef, username: string | undefined, password: Buffer | undefined): Promise<AuthResult>;
  authorizePublish(client: ClientRef, message: PublishedMessage): Promise<PublishDecision>;
  authorizeSubscribe(client: ClientRef, filter: string): Promise<boolean>;
  /** synchronous: runs once per delivery */
  authorizeForward(client: ClientRef, topic: string): boolean;
}

/** Allows everything; only for TELEMQ_AUTH=none and unit tests. */
export const openHooks: BrokerHooks = {
  authenticate: async (client) => ({ ok: true, identity: { subject: client.id, role: 'admin' } }),
  authorizePublish: async () => 'allow',
  authorizeSubscribe: async () => true,
  authorizeForward: () => true,
};
