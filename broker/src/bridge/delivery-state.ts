// The store writer's life (delivery.ts) as a state union with named transitions; `enter` checks
// each against `edges`, so a transition the diagram does not have fails loudly:
//
//   idle ──wake (a batch)──▶ writing ──waitForWork (nothing to do)──▶ idle
//   writing ──backOff (a failed write)──▶ backing-off ──pause over──▶ writing
//   idle | writing | backing-off ──beginClosing──▶ closing   (writes what is queued; no replay, no pause)
//   closing ──finish──▶ closed   (abandoned when the store did not answer within closeTimeoutMs)
//
// The writer starts in `writing`: its first step replays what the spool kept from the last run.
export type DeliveryStateKind = 'idle' | 'writing' | 'backing-off' | 'closing' | 'closed';

type State =
  /** waiting for a batch; `wake` ends the wait */
  | { kind: 'idle'; wake: () => void }
  /** replaying the spool's oldest batch, or writing queued batches in lanes */
  | { kind: 'writing' }
  /** after a failed write, until the pause is over or `cut` by close() */
  | { kind: 'backing-off'; cut: () => void }
  /** close() was called: what is queued is written, then the loop ends */
  | { kind: 'closing' }
  /** the loop has ended; abandoned: the store did not answer in time and everything was spooled */
  | { kind: 'closed'; abandoned: boolean };

const edges: Record<DeliveryStateKind, readonly DeliveryStateKind[]> = {
  idle: ['writing', 'closing'],
  writing: ['idle', 'backing-off', 'closing'],
  'backing-off': ['writing', 'closing'],
  closing: ['closed'],
  closed: [],
};

export interface DeliveryState {
  readonly kind: DeliveryStateKind;
  /** writing → idle: resolves when wake() (→ writing) or beginClosing() (→ closing) is called */
  waitForWork(): Promise<void>;
  /** idle → writing; nothing in any other state (a batch does not end a back-off pause) */
  wake(): void;
  /** writing → backing-off → writing after ms; resolves at once in any other state (closing never pauses) */
  backOff(ms: number): Promise<void>;
  /** idle | writing | backing-off → closing, ending a wait or a pause at once */
  beginClosing(): void;
  /** closing → closed */
  finish(abandoned: boolean): void;
}

export function createDeliveryState(): DeliveryState {
  let state: State = { kind: 'writing' };
  function enter(next: State): void {
    if (!edges[state.kind].includes(next.kind)) throw new Error(`delivery: no transition from ${state.kind} to ${next.kind}`);
    state = next;
  }
  return {
    get kind() {
      return state.kind;
    },
    waitForWork: () => new Promise<void>((resolve) => enter({ kind: 'idle', wake: resolve })),
    wake() {
      if (state.kind !== 'idle') return;
      const { wake } = state;
      enter({ kind: 'writing' });
      wake();
    },
    backOff(ms) {
      if (state.kind !== 'writing') return Promise.resolve();
      return new Promise<void>((resolve) => {
        const timer = setTimeout(() => {
          if (state.kind === 'backing-off') enter({ kind: 'writing' });
          resolve();
        }, ms);
        enter({
          kind: 'backing-off',
          cut: () => {
            clearTimeout(timer);
            resolve();
          },
        });
      });
    },
    beginClosing() {
      const previous = state;
      enter({ kind: 'closing' });
      if (previous.kind === 'idle') previous.wake();
      if (previous.kind === 'backing-off') previous.cut();
    },
    finish(abandoned) {
      enter({ kind: 'closed', abandoned });
    },
  };
}
