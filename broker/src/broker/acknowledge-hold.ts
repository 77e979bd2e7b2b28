// A QoS >= 1 publish whose PUBACK (PUBREC for QoS 2) waits for its consumers: the bridge holds it
// until the message's point is durable. The message is routed to subscribers first, at once; only
// the acknowledgement, and with it the publisher's next read (aedes reads a client's socket again
// when the packet is handled), waits for every hold taken to be released.
import type { AcknowledgeHold } from './types.ts';

export class PendingAcknowledge implements AcknowledgeHold {
  #taken = 0;
  #routed = false;
  #finish: ((err: Error | null) => void) | null;

  /** `finish` is aedes' callback for the packet: it writes the acknowledgement */
  constructor(finish: (err: Error | null) => void) {
    this.#finish = finish;
  }

  take(): () => void {
    this.#taken++;
    let released = false;
    return () => {
      if (released) return;
      released = true;
      if (--this.#taken === 0 && this.#routed) this.#done(null);
    };
  }

  /** routed and handed to the consumers (who took their holds synchronously) */
  routed(): void {
    this.#routed = true;
    if (this.#taken === 0) this.#done(null);
  }

  failed(err: Error): void {
    this.#done(err);
  }

  #done(err: Error | null): void {
    const finish = this.#finish;
    this.#finish = null;
    finish?.(err);
  }
}
