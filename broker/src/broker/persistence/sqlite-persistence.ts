// aedes' persistence on SQLite, the default without Redis: retained messages, subscriptions, QoS 1/2
// outgoing queues, incoming QoS 2 state and wills survive a restart and a kill -9.
//
// Reads never touch SQLite: everything is held in memory, as in aedes-persistence's memory
// implementation (retained messages in telemq's topic tree, subscriptions in that implementation's
// own trie, queues in outgoing-queues.ts), loaded from the file at start and written through with
// group commit (session-db.ts). aedes 1.2 calls the promise form of every method and waits for it
// before it answers the client, so a method resolves only once its writes are committed.
//
// SQLite runs on the event loop, not in a worker like the telemetry store: a turn's writes cost a
// ~100 µs commit plus ~10 µs per row on this machine, and the answer to the client has to wait
// for the commit anyway, so a worker would add a thread hop and copies to the wait and save little.
import { Readable } from 'node:stream';
import aedesPersistence from 'aedes-persistence';
import { createRetainedIndex, type RetainedIndex } from '../retained-index.ts';
import type { SessionRegistry } from '../session-registry.ts';
import { createOutgoingQueues, type OutgoingQueues, type QueueBounds } from './outgoing-queues.ts';
import type { StoredPacket } from './packet-codec.ts';
import { openSessionDb, type SessionDb, type SubscriptionOptions } from './session-db.ts';
import { createSessionExpiry, type SessionExpiry } from './session-expiry.ts';

type ClientLike = { id: string };
type Sub = SubscriptionOptions & { topic: string };

/** The memory implementation's methods this persistence delegates subscriptions and incoming QoS 2 state to. */
interface MemoryState {
  setup(broker: unknown): Promise<void>;
  addSubscriptions(client: ClientLike, subs: Sub[]): Promise<void>;
  removeSubscriptions(client: ClientLike, topics: string[]): Promise<void>;
  subscriptionsByClient(client: ClientLike): Promise<Sub[]>;
  subscriptionsByTopic(topic: string): Promise<unknown[]>;
  cleanSubscriptions(client: ClientLike): Promise<void>;
  countOffline(): Promise<{ subsCount: number; clientsCount: number }>;
  getClientList(topic: string): Readable;
  incomingStorePacket(client: ClientLike, packet: StoredPacket): Promise<void>;
  incomingGetPacket(client: ClientLike, packet: { messageId?: number }): Promise<StoredPacket>;
  incomingDelPacket(client: ClientLike, packet: { messageId?: number }): Promise<void>;
  cleanIncoming(client: ClientLike): Promise<void>;
}

const createMemory = () => (aedesPersistence as unknown as () => { asyncPersistence: MemoryState })().asyncPersistence;

export interface SqlitePersistenceOptions {
  /** the SQLite file, e.g. dataDir/sessions.sqlite */
  file: string;
  retained?: RetainedIndex;
  queueBounds: QueueBounds;
  /** sessions not connected for this long are deleted with their queue; 0 keeps them forever */
  sessionExpirySec: number;
  /** messages removed from queues by a bound or an expiry, by reason */
  onDropped(reason: 'session-queue-full' | 'session-expired', count: number): void;
  onSessionExpired?(clientId: string): void;
  onCommitError(err: Error): void;
}

interface BrokerLike {
  id: string;
  publish(packet: StoredPacket, done: (err?: Error | null) => void): void;
}

export class SqlitePersistence {
  readonly sessions: SessionRegistry;
  readonly #db: SessionDb;
  readonly #memory = createMemory();
  readonly #retained: RetainedIndex;
  readonly #outgoing: OutgoingQueues;
  readonly #wills = new Map<string, StoredPacket>();
  readonly #expiry: SessionExpiry;
  #broker: BrokerLike | undefined;
  #destroyed = false;

  constructor(options: SqlitePersistenceOptions) {
    this.#db = openSessionDb(options.file, options.onCommitError);
    this.#retained = options.retained ?? createRetainedIndex();
    this.#outgoing = createOutgoingQueues(this.#db, options.queueBounds, (count) => options.onDropped('session-queue-full', count));
    this.#expiry = createSessionExpiry({
      db: this.#db,
      expirySec: options.sessionExpirySec,
      expire: (clientId) => {
        void this.cleanSubscriptions({ id: clientId });
        void this.cleanIncoming({ id: clientId });
        options.onDropped('session-expired', this.#outgoing.drop(clientId));
        options.onSessionExpired?.(clientId);
      },
    });
    this.sessions = this.#expiry;
  }

  commitStats = () => this.#db.commitStats();

  get broker(): BrokerLike | undefined {
    return this.#broker;
  }

  async setup(broker: BrokerLike): Promise<void> {
    this.#broker = broker;
    await this.#memory.setup(broker);
    const loaded = this.#db.load();
    for (const packet of loaded.retained) this.#retained.store(packet as StoredPacket & { topic: string; payload: Buffer });
    const byClient = new Map<string, Sub[]>();
    for (const { clientId, topic, options } of loaded.subscriptions) {
      let subs = byClient.get(clientId);
      if (!subs) byClient.set(clientId, (subs = []));
      subs.push({ topic, ...options });
    }
    for (const [id, subs] of byClient) await this.#memory.addSubscriptions({ id }, subs);
    for (const { seq, clientId, packet } of loaded.outgoing) this.#outgoing.restore(seq, clientId, packet);
    for (const { clientId, packet } of loaded.incoming) await this.#memory.incomingStorePacket({ id: clientId }, packet);
    for (const { clientId, packet } of loaded.wills) this.#wills.set(clientId, packet);
    this.#expiry.restore(loaded.sessions);
    // Wills stored before the restart belong to connections the restart closed without a
    // DISCONNECT: they are published now, as they would have been had the broker seen the close.
    if (loaded.wills.length > 0) setImmediate(() => this.#publishOrphanedWills(loaded.wills.map((w) => w.packet)));
  }

  async storeRetained(packet: StoredPacket & { topic: string; payload: Buffer }): Promise<void> {
    const copy = { ...packet };
    this.#retained.store(copy);
    if (copy.payload.length === 0) this.#db.deleteRetained(copy.topic);
    else this.#db.putRetained(copy);
    return this.#db.committed();
  }

  createRetainedStream(pattern: string): Readable {
    return Readable.from(this.#retained.match(pattern));
  }

  createRetainedStreamCombi(patterns: string[]): Readable {
    const retained = this.#retained;
    return Readable.from(
      (function* () {
        for (const pattern of patterns) yield* retained.match(pattern);
      })(),
    );
  }

  async addSubscriptions(client: ClientLike, subs: Sub[]): Promise<void> {
    await this.#memory.addSubscriptions(client, subs);
    for (const sub of subs) {
      const options: SubscriptionOptions = { qos: sub.qos, rh: sub.rh, rap: sub.rap, nl: sub.nl };
      if (sub.subscriptionIdentifier !== undefined) options.subscriptionIdentifier = sub.subscriptionIdentifier;
      this.#db.putSubscription(client.id, sub.topic, options);
    }
    return this.#db.committed();
  }

  async removeSubscriptions(client: ClientLike, topics: string[]): Promise<void> {
    await this.#memory.removeSubscriptions(client, topics);
    for (const topic of topics) this.#db.deleteSubscription(client.id, topic);
    return this.#db.committed();
  }

  subscriptionsByClient = (client: ClientLike) => this.#memory.subscriptionsByClient(client);
  subscriptionsByTopic = (topic: string) => this.#memory.subscriptionsByTopic(topic);
  countOffline = () => this.#memory.countOffline();
  getClientList = (topic: string) => this.#memory.getClientList(topic);

  async cleanSubscriptions(client: ClientLike): Promise<void> {
    await this.#memory.cleanSubscriptions(client);
    this.#db.deleteSubscriptions(client.id);
    return this.#db.committed();
  }

  async outgoingEnqueue(sub: { clientId: string }, packet: StoredPacket): Promise<void> {
    this.#outgoing.enqueue(sub.clientId, packet);
    return this.#db.committed();
  }

  async outgoingEnqueueCombi(subs: Array<{ clientId: string }>, packet: StoredPacket): Promise<void> {
    // most QoS 1 messages (telemetry) have no persistent subscriber: they need not wait for a commit
    if (subs.length === 0) return;
    for (const sub of subs) this.#outgoing.enqueue(sub.clientId, packet);
    return this.#db.committed();
  }

  async outgoingUpdate(client: ClientLike, packet: StoredPacket): Promise<void> {
    this.#outgoing.update(client.id, packet);
    return this.#db.committed();
  }

  async outgoingClearMessageId(client: ClientLike, packet: { messageId?: number | undefined }): Promise<StoredPacket | undefined> {
    const cleared = this.#outgoing.clear(client.id, packet?.messageId);
    await this.#db.committed();
    return cleared;
  }

  outgoingStream(client: ClientLike): Readable {
    return Readable.from(this.#outgoing.snapshot(client.id));
  }

  async incomingStorePacket(client: ClientLike, packet: StoredPacket & { messageId: number }): Promise<void> {
    await this.#memory.incomingStorePacket(client, packet);
    this.#db.putIncoming(client.id, packet.messageId, packet);
    return this.#db.committed();
  }

  incomingGetPacket = (client: ClientLike, packet: { messageId?: number }) => this.#memory.incomingGetPacket(client, packet);

  async incomingDelPacket(client: ClientLike, packet: { messageId: number }): Promise<void> {
    await this.#memory.incomingDelPacket(client, packet);
    this.#db.deleteIncoming(client.id, packet.messageId);
    return this.#db.committed();
  }

  async cleanIncoming(client: ClientLike): Promise<void> {
    await this.#memory.cleanIncoming(client);
    this.#db.deleteIncomingOf(client.id);
    return this.#db.committed();
  }

  async putWill(client: ClientLike, packet: StoredPacket): Promise<void> {
    packet.brokerId = this.#broker?.id;
    packet.clientId = client.id;
    this.#wills.set(client.id, packet);
    this.#db.putWill(client.id, packet);
    return this.#db.committed();
  }

  async getWill(client: ClientLike): Promise<StoredPacket | undefined> {
    return this.#wills.get(client.id);
  }

  async delWill(client: ClientLike): Promise<StoredPacket | undefined> {
    const will = this.#wills.get(client.id);
    if (!will) return undefined;
    this.#wills.delete(client.id);
    this.#db.deleteWill(client.id);
    await this.#db.committed();
    return will;
  }

  streamWill(brokers: Record<string, unknown> = {}): Readable {
    return Readable.from([...this.#wills.values()].filter((will) => !brokers[will.brokerId ?? '']));
  }

  async destroy(): Promise<void> {
    if (this.#destroyed) throw new Error('destroyed called twice!');
    this.#destroyed = true;
    this.#expiry.close();
    this.#db.close();
  }

  #publishOrphanedWills(wills: StoredPacket[]): void {
    const broker = this.#broker;
    if (!broker || this.#destroyed) return;
    for (const will of wills) {
      const clientId = will.clientId ?? '';
      // the client may have connected again since, with a new will that must not be lost
      if (this.#wills.get(clientId) !== will) continue;
      broker.publish(will, () => void this.delWill({ id: clientId }).catch(() => {}));
    }
  }
}
