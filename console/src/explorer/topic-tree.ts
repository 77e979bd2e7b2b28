// The explorer's topic tree: one node per topic level seen, each with the number of messages at or
// below it and, for a topic that carried messages, its last payload. Counting costs one map lookup
// per level; the rows on screen are built only when asked (at most a few times a second), and only
// for the expanded nodes. Bounded: past `maxNodes` new topics are counted on their deepest known
// ancestor instead of growing the tree.

export interface TopicNode {
  /** this level's name */
  name: string;
  /** the full topic of this node */
  topic: string;
  /** messages on this topic and every topic below it */
  count: number;
  /** the last payload published to exactly this topic, if any */
  last: Uint8Array | null;
  lastAtMs: number;
  children: Map<string, TopicNode>;
}

export interface TopicRow {
  topic: string;
  name: string;
  depth: number;
  count: number;
  last: Uint8Array | null;
  lastAtMs: number;
  hasChildren: boolean;
  isExpanded: boolean;
}

export interface TopicTree {
  add(topic: string, payload: Uint8Array, atMs: number): void;
  /** the visible rows, depth first, children sorted by name; `expanded` holds topics shown open */
  rows(expanded: ReadonlySet<string>, maxRows?: number): TopicRow[];
  readonly size: number;
  clear(): void;
}

function node(name: string, topic: string): TopicNode {
  return { name, topic, count: 0, last: null, lastAtMs: 0, children: new Map() };
}

export function createTopicTree(maxNodes = 5000): TopicTree {
  let root = node('', '');
  let size = 0;

  return {
    add(topic, payload, atMs) {
      let at = root;
      at.count += 1;
      let exact = true;
      const levels = topic.split('/');
      for (let i = 0; i < levels.length; i++) {
        const name = levels[i]!;
        let next = at.children.get(name);
        if (!next) {
          if (size >= maxNodes) {
            exact = false;
            break;
          }
          next = node(name, i === 0 ? name : `${at.topic}/${name}`);
          at.children.set(name, next);
          size += 1;
        }
        next.count += 1;
        at = next;
      }
      if (!exact) return;
      at.last = payload;
      at.lastAtMs = atMs;
    },
    rows(expanded, maxRows = 500) {
      const out: TopicRow[] = [];
      const walk = (parent: TopicNode, depth: number): void => {
        const names = [...parent.children.keys()].sort();
        for (const name of names) {
          if (out.length >= maxRows) return;
          const n = parent.children.get(name)!;
          const isExpanded = expanded.has(n.topic);
          out.push({ topic: n.topic, name: n.name, depth, count: n.count, last: n.last, lastAtMs: n.lastAtMs, hasChildren: n.children.size > 0, isExpanded });
          if (isExpanded) walk(n, depth + 1);
        }
      };
      walk(root, 0);
      return out;
    },
    get size() {
      return size;
    },
    clear() {
      root = node('', '');
      size = 0;
    },
  };
}
