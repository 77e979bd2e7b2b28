// The fallbacks' figures: drops by reason, messages no client came back for, sessions and bytes.
import { Counter, Gauge, type Registry } from 'prom-client';
import type { ByteBudget, DropReason, DropTally } from './queue.ts';
import type { EndReason, LiveTransport, SessionRegistry } from './sessions.ts';

export interface LiveMetrics {
  dropped(transport: LiveTransport, reason: DropReason, count?: number): void;
  droppedTally(transport: LiveTransport, tally: DropTally): void;
  /** queued for a session whose client never came back for them: not a live client's loss */
  uncollected(transport: LiveTransport, count: number): void;
  ended(transport: LiveTransport, reason: EndReason): void;
  refused(transport: LiveTransport): void;
  /** the largest one session has held, in bytes */
  sessionBytes(bytes: number): void;
}

export interface LiveGauges {
  budget: ByteBudget;
  registry: SessionRegistry;
  /** polling sessions still receiving (a request waiting, or one answered a moment ago) */
  receivingPollSessions: () => number;
  /** polling requests waiting for a message */
  waitingPollRequests: () => number;
  /** broker subscriptions the fallbacks hold (one per distinct filter) */
  filters: () => number;
}

export function createLiveMetrics(metrics: Registry, gauges: LiveGauges): LiveMetrics {
  const registers = [metrics];
  const dropped = new Counter({ name: 'telemq_live_dropped_total', help: 'messages a live SSE stream or polling session lost, by reason', labelNames: ['transport', 'reason'], registers });
  const uncollected = new Counter({ name: 'telemq_live_uncollected_total', help: 'messages queued for polling sessions whose client never came back for them', labelNames: ['transport'], registers });
  const ended = new Counter({ name: 'telemq_live_sessions_ended_total', help: 'SSE streams and polling sessions ended, by reason', labelNames: ['transport', 'reason'], registers });
  const refused = new Counter({ name: 'telemq_live_sessions_refused_total', help: 'new sessions refused: every slot in use', labelNames: ['transport'], registers });
  let sessionPeak = 0;
  const count = (transport: LiveTransport) => gauges.registry.all().filter((s) => s.transport === transport).length;
  new Gauge({ name: 'telemq_live_sse_streams', help: 'open Server-Sent Events streams', registers, collect() { this.set(count('sse')); } });
  new Gauge({ name: 'telemq_live_poll_sessions', help: 'long-polling sessions', registers, collect() { this.set(count('poll')); } });
  new Gauge({ name: 'telemq_live_poll_sessions_receiving', help: 'long-polling sessions still receiving messages', registers, collect() { this.set(gauges.receivingPollSessions()); } });
  new Gauge({ name: 'telemq_live_poll_requests_waiting', help: 'long-polling requests waiting for a message', registers, collect() { this.set(gauges.waitingPollRequests()); } });
  new Gauge({ name: 'telemq_live_subscriptions', help: 'broker subscriptions held for the fallbacks (one per distinct filter)', registers, collect() { this.set(gauges.filters()); } });
  new Gauge({ name: 'telemq_live_buffered_bytes', help: 'bytes held for all fallback sessions', registers, collect() { this.set(gauges.budget.usedBytes); } });
  new Gauge({ name: 'telemq_live_buffered_bytes_peak', help: 'the most bytes ever held for all fallback sessions at once', registers, collect() { this.set(gauges.budget.peakBytes); } });
  new Gauge({ name: 'telemq_live_session_bytes_peak', help: 'the most bytes ever held for one fallback session', registers, collect() { this.set(sessionPeak); } });
  new Gauge({ name: 'telemq_live_budget_bytes', help: 'the byte budget of all fallback sessions (live.budgetBytes)', registers, collect() { this.set(gauges.budget.limitBytes); } });

  return {
    dropped: (transport, reason, n = 1) => dropped.inc({ transport, reason }, n),
    droppedTally(transport, tally) {
      for (const [reason, n] of Object.entries(tally)) if (n > 0) dropped.inc({ transport, reason }, n);
    },
    uncollected(transport, n) {
      if (n > 0) uncollected.inc({ transport }, n);
    },
    ended: (transport, reason) => ended.inc({ transport, reason }),
    refused: (transport) => refused.inc({ transport }),
    sessionBytes(bytes) {
      if (bytes > sessionPeak) sessionPeak = bytes;
    },
  };
}
