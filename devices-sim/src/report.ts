// What the simulator says while it runs: one status line rewritten in place on a terminal,
// a log line every reportIntervalMs otherwise, and a summary at the end (JSON with --json).
import type { FleetStats } from './stats.ts';

export interface Summary {
  devices: number;
  /** connected devices just before stopping */
  connected: number;
  peakConnected: number;
  sent: number;
  messagesPerSec: number;
  reconnects: number;
  errors: number;
  commands: number;
  durationMs: number;
  /** the latest client error, '' when none */
  lastError: string;
}

export interface ReporterOptions {
  /** status and log lines */
  out: { write(text: string): unknown };
  isTty: boolean;
}

export interface Reporter {
  /** a fresh snapshot; `ratePerSec` is telemetry sent per second since the previous one */
  update(stats: FleetStats, ratePerSec: number): void;
  finish(summary: Summary): void;
}

export function statusLine(stats: FleetStats, ratePerSec: number): string {
  return `connected ${stats.connected}/${stats.total} · ${Math.round(ratePerSec)} msg/s · sent ${stats.sent} · reconnects ${stats.reconnects} · errors ${stats.errors}`;
}

export function summaryText(s: Summary): string {
  return (
    `sent ${s.sent} messages from ${s.devices} devices in ${(s.durationMs / 1000).toFixed(1)} s ` +
    `(${Math.round(s.messagesPerSec)} msg/s); peak connected ${s.peakConnected}/${s.devices}, ` +
    `reconnects ${s.reconnects}, errors ${s.errors}, commands ${s.commands}` +
    (s.lastError ? ` (last error: ${s.lastError})` : '')
  );
}

export function createReporter(options: ReporterOptions): Reporter {
  const { out, isTty } = options;
  let hasStatusLine = false;
  return {
    update(stats, ratePerSec) {
      const line = statusLine(stats, ratePerSec);
      if (isTty) {
        out.write(`\r\x1b[2K${line}`);
        hasStatusLine = true;
      } else {
        out.write(`${new Date().toISOString()} ${line}\n`);
      }
    },
    finish(summary) {
      if (hasStatusLine) out.write('\r\x1b[2K');
      out.write(`${summaryText(summary)}\n`);
    },
  };
}

/** Samples a runner's stats at a period and feeds a reporter, tracking the peak. */
export function createStatsSampler(sample: () => FleetStats, reporter: Reporter, periodMs: number) {
  let lastSent = 0;
  let lastMs = Date.now();
  let peakConnected = 0;
  const startedMs = lastMs;
  const take = () => {
    const stats = sample();
    peakConnected = Math.max(peakConnected, stats.connected);
    return stats;
  };
  const timer = setInterval(() => {
    const stats = take();
    const nowMs = Date.now();
    reporter.update(stats, ((stats.sent - lastSent) * 1000) / Math.max(1, nowMs - lastMs));
    lastSent = stats.sent;
    lastMs = nowMs;
  }, periodMs);
  return {
    /** stops sampling; the summary of everything since the sampler started */
    stop(): Summary {
      clearInterval(timer);
      const stats = take();
      const durationMs = Date.now() - startedMs;
      return {
        devices: stats.total,
        connected: stats.connected,
        peakConnected,
        sent: stats.sent,
        messagesPerSec: (stats.sent * 1000) / Math.max(1, durationMs),
        reconnects: stats.reconnects,
        errors: stats.errors,
        commands: stats.commands,
        durationMs,
        lastError: stats.lastError,
      };
    },
  };
}
