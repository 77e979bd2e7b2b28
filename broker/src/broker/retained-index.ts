// aedes' in-memory persistence with its retained messages held in a topic tree.
//
// aedes-persistence (memory) keeps retained messages in one Map and answers every SUBSCRIBE by
// testing the filter against every retained topic. With one retained status per device, the
// n-th device's subscribe scans n topics, so a fleet connecting costs O(n²): with 19,000 devices
// the event loop was busy for seconds at a time, accept() fell behind, the listen queue
// overflowed and devices timed out waiting for CONNACK. Walking a tree by the filter's levels
// costs the filter's depth plus the matches, whatever the number of retained topics.
import aedesPersistence from 'aedes-persistence';

// a CommonJS module whose module.exports is the factory; its typings declare it as `default`
const memoryPersistence = aedesPersistence as unknown as () => unknown;

export interface RetainedPacket {
  topic: string;
  payload: Buffer;
  /** the client that published it, when a client did (set by mqtt-broker.ts's authorizePublish) */
  clientId?: string | undefined;
}

interface TopicNode {
  children: Map<string, TopicNode>;
  packet: RetainedPacket | undefined;
}

const newNode = (): TopicNode => ({ children: new Map(), packet: undefined });

export interface RetainedIndex {
  /** an empty payload deletes the topic's retained message, as in MQTT */
  store(packet: RetainedPacket): void;
  /** retained messages whose topic matches the filter (MQTT + and # wildcards) */
  match(filter: string): Generator<RetainedPacket>;
  /** the retained message on exactly this topic */
  get(topic: string): RetainedPacket | undefined;
  /** how many retained topics hold a message last published by this client (guards.maxRetainedTopicsPerClient) */
  ownedBy(clientId: string): number;
  size(): number;
}

export function createRetainedIndex(): RetainedIndex {
  const root = newNode();
  let count = 0;
  const owned = new Map<string, number>();

  function own(packet: RetainedPacket, delta: 1 | -1): void {
    const owner = packet.clientId;
    if (owner === undefined) return;
    const n = (owned.get(owner) ?? 0) + delta;
    if (n > 0) owned.set(owner, n);
    else owned.delete(owner);
  }

  function find(levels: string[]): TopicNode | undefined {
    let node: TopicNode | undefined = root;
    for (const level of levels) if (!(node = node.children.get(level))) return undefined;
    return node;
  }

  function store(packet: RetainedPacket): void {
    const levels = packet.topic.split('/');
    if (packet.payload.length === 0) return remove(levels);
    let node = root;
    for (const level of levels) {
      let child = node.children.get(level);
      if (!child) node.children.set(level, (child = newNode()));
      node = child;
    }
    if (node.packet) own(node.packet, -1);
    else count++;
    node.packet = packet;
    own(packet, 1);
  }

  function remove(levels: string[]): void {
    const path: TopicNode[] = [root];
    for (const level of levels) {
      const child = path.at(-1)!.children.get(level);
      if (!child) return;
      path.push(child);
    }
    const leaf = path.at(-1)!;
    if (!leaf.packet) return;
    own(leaf.packet, -1);
    leaf.packet = undefined;
    count--;
    // prune the branches left empty, so deleted topics do not keep their nodes
    for (let i = levels.length; i > 0; i--) {
      const node = path[i]!;
      if (node.packet || node.children.size > 0) break;
      path[i - 1]!.children.delete(levels[i - 1]!);
    }
  }

  function* subtree(node: TopicNode): Generator<RetainedPacket> {
    if (node.packet) yield node.packet;
    for (const child of node.children.values()) yield* subtree(child);
  }

  function* walk(node: TopicNode, levels: string[], i: number): Generator<RetainedPacket> {
    if (i === levels.length) {
      if (node.packet) yield node.packet;
      return;
    }
    const level = levels[i]!;
    if (level === '#' || level === '+') {
      for (const [name, child] of node.children) {
        // a filter starting with a wildcard never matches a topic starting with '$' [MQTT-4.7.2-1]
        if (i === 0 && name.startsWith('$')) continue;
        // '#' also matches the parent level itself: "a/#" matches "a" [MQTT-4.7.1-2]
        yield* level === '#' ? subtree(child) : walk(child, levels, i + 1);
      }
      if (level === '#' && node.packet) yield node.packet;
    } else {
      const child = node.children.get(level);
      if (child) yield* walk(child, levels, i + 1);
    }
  }

  return {
    store,
    match: (filter) => walk(root, filter.split('/'), 0),
    get: (topic) => find(topic.split('/'))?.packet,
    ownedBy: (clientId) => owned.get(clientId) ?? 0,
    size: () => count,
  };
}

interface AsyncMemoryPersistence {
  storeRetained(packet: RetainedPacket): Promise<void>;
  createRetainedStream(pattern: string): Iterable<RetainedPacket>;
  createRetainedStreamCombi(patterns: string[]): Iterable<RetainedPacket>;
}

/** aedes' default memory persistence, its retained-message methods answered by a RetainedIndex. */
export function createMemoryPersistence(index: RetainedIndex = createRetainedIndex()): unknown {
  const persistence = memoryPersistence() as { asyncPersistence: AsyncMemoryPersistence };
  const inner = persistence.asyncPersistence;
  inner.storeRetained = async (packet) => {
    // aedes reuses the packet object; keep a copy as aedes-persistence does
    index.store({ ...packet });
  };
  inner.createRetainedStream = (pattern) => index.match(pattern);
  inner.createRetainedStreamCombi = function* (patterns) {
    for (const pattern of patterns) yield* index.match(pattern);
  };
  return persistence;
}
