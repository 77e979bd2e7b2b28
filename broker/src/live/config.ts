import { z } from 'zod';

/** The SSE and long-polling fallbacks: every byte and session they hold is bounded here. */
export const liveConfigSchema = z.object({
  /** SSE keep-alive comment period */
  heartbeatMs: z.number().int().min(1000).default(15_000),
  /** longest a poll request waits for a message */
  maxWaitMs: z.number().int().min(0).default(30_000),
  /** a waiting poll request woken by a message answers this much later, with all that came meanwhile: a busy filter costs a request per batch, not per message */
  pollBatchMs: z.number().int().min(0).max(1000).default(50),
  /** a poll session with no request waiting this long past its last answer stops receiving */
  pollGraceMs: z.number().int().min(100).default(5000),
  /** a poll session without a request this long is forgotten */
  sessionIdleMs: z.number().int().min(1000).default(60_000),
  /** messages one poll session holds between requests */
  maxSessionMessages: z.number().int().min(1).default(1000),
  /** bytes one session holds (a poll queue, or an SSE stream's unsent data), as sent on the wire */
  maxSessionBytes: z.number().int().min(1024).default(256 * 1024),
  /** bytes all fallback sessions together hold */
  budgetBytes: z.number().int().min(1024).default(64 * 1024 * 1024),
  /** SSE streams and poll sessions, all users */
  maxSessions: z.number().int().min(1).default(10_000),
  /** SSE streams and poll sessions of one user; a new one past this ends that user's oldest */
  maxSessionsPerUser: z.number().int().min(1).default(16),
});

export type LiveConfig = z.infer<typeof liveConfigSchema>;
