// Telemetry without its own timestamp is stamped with its arrival time. The stores key a point by
// (series, field, time), so two messages of one series stamped with the same millisecond would
// overwrite each other (a device flushing its buffer sends a hundred in one). The clock hands out
// arrival times to the microsecond, each one past the last it handed out: unique for every series,
// in arrival order, and off the wall clock only while more than 1,000 messages arrive in one
// millisecond. Stamps are epoch ms with a fraction (a double holds epoch microseconds exactly);
// InfluxDB receives them at precision u, SQLite keeps the fraction.

export interface ArrivalClock {
  /** a stamp for a message that arrived at `arrivalMs` */
  stamp(arrivalMs: number): number;
  /** no later stamp is at or before `stampMs` (stamps replayed from the last run) */
  passed(stampMs: number): void;
}

export const toMicroseconds = (ms: number) => Math.round(ms * 1000);

export function createArrivalClock(): ArrivalClock {
  let lastUs = 0;
  return {
    stamp(arrivalMs) {
      const us = Math.max(toMicroseconds(arrivalMs), lastUs + 1);
      lastUs = us;
      return us / 1000;
    },
    passed(stampMs) {
      lastUs = Math.max(lastUs, toMicroseconds(stampMs));
    },
  };
}
