// GET /api/history: one field of one device over a time range, raw or aggregated per window.
// Parameters are validated with zod (400 names the reason), the caller must be allowed to subscribe
// to the device's telemetry topic, and no answer holds more than maxPoints points: an explicit
// window that would exceed it is refused, a raw range that would exceed it is downsampled.
import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import type { AccessControl } from '../auth/index.ts';
import { topics, type ApiError, type HistoryResponse, type Identity } from '../contract/index.ts';
import type { HistoryRequest, TelemetryStore } from '../stores/types.ts';
import { identityOf } from './auth-hook.ts';

export interface HistoryRouteDeps {
  store: TelemetryStore;
  access: Pick<AccessControl, 'acl'>;
  /** most points in one answer */
  maxPoints?: number;
}

const maxRangeMs = 400 * 86_400_000;
const durationUnitsMs = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 } as const;

/** Device ids and field names as the default topic grammar and codecs produce them. */
const name = (what: string) =>
  z
    .string({ error: `${what} is required` })
    .regex(/^[A-Za-z0-9_.:-]{1,128}$/, `${what} must be 1-128 letters, digits or _ . : -`);

const instant = (what: string) =>
  z.string({ error: `${what} is required` }).transform((text, ctx) => {
    const ms = /^\d{1,15}$/.test(text) ? Number(text) : /^\d{4}-\d{2}-\d{2}T[\d:.]+(Z|[+-]\d{2}:\d{2})$/.test(text) ? Date.parse(text) : NaN;
    if (!Number.isSafeInteger(ms)) {
      ctx.addIssue({ code: 'custom', message: `${what} must be epoch ms or an ISO 8601 date-time` });
      return z.NEVER;
    }
    return ms;
  });

const duration = z.string().transform((text, ctx) => {
  const match = /^(\d{1,10})(ms|s|m|h|d)?$/.exec(text);
  const ms = match ? Number(match[1]) * durationUnitsMs[(match[2] ?? 'ms') as keyof typeof durationUnitsMs] : NaN;
  if (!Number.isSafeInteger(ms) || ms < 1) {
    ctx.addIssue({ code: 'custom', message: 'every must be a positive duration: ms, or a number with ms, s, m, h or d' });
    return z.NEVER;
  }
  return ms;
});

export const historyQuerySchema = z
  .object({
    device: name('device'),
    field: name('field'),
    from: instant('from'),
    to: instant('to'),
    every: duration.optional(),
    agg: z.enum(['mean', 'min', 'max', 'last'], { error: 'agg must be mean, min, max or last' }).optional(),
  })
  .strict()
  .refine((q) => q.to > q.from, { message: 'to must be after from' })
  .refine((q) => q.to - q.from <= maxRangeMs, { message: 'the range may span at most 400 days' })
  .refine((q) => q.agg === undefined || q.every !== undefined, { message: 'agg needs every' });

/**
 * A device's history is readable by whoever may subscribe to its telemetry topic (a console user,
 * an admin) and by its publisher (the device itself, whose role may publish but not subscribe there).
 */
export function mayRead(acl: Pick<AccessControl, 'acl'>['acl'], identity: Identity, deviceId: string): boolean {
  const topic = topics.telemetry(deviceId);
  return acl.canSubscribe(identity, topic) || acl.canPublish(identity, topic);
}

function fail(error: string, message: string): ApiError {
  return { error, message };
}

export function registerHistoryRoutes(app: FastifyInstance, deps: HistoryRouteDeps): void {
  const maxPoints = deps.maxPoints ?? 10_000;
  app.get('/api/history', { config: { auth: 'user' } }, async (req, reply) => {
    const identity = identityOf(req);
    const parsed = historyQuerySchema.safeParse(req.query);
    if (!parsed.success) {
      const issue = parsed.error.issues[0]!;
      const where = issue.path.length > 0 ? `${issue.path.join('.')}: ` : '';
      return reply.code(400).send(fail('invalid_query', `${where}${issue.message}`));
    }
    const q = parsed.data;
    if (!mayRead(deps.access.acl, identity, q.device)) {
      return reply.code(403).send(fail('forbidden', `not allowed to read device ${q.device}`));
    }
    const rangeMs = q.to - q.from;
    if (q.every !== undefined && Math.ceil(rangeMs / q.every) > maxPoints) {
      const minEveryMs = Math.ceil(rangeMs / maxPoints);
      return reply.code(400).send(fail('range_too_large', `${Math.ceil(rangeMs / q.every)} windows exceed the limit of ${maxPoints}; use every >= ${minEveryMs}ms or a shorter range`));
    }
    const request: HistoryRequest = { device: q.device, field: q.field, fromMs: q.from, toMs: q.to, everyMs: q.every ?? null, agg: q.every === undefined ? null : (q.agg ?? 'mean'), limit: maxPoints };
    let points;
    try {
      points = await deps.store.queryHistory({ ...request, limit: maxPoints + 1 });
      if (points.length > maxPoints) {
        // Too many raw points for one answer: the mean per window, with as many windows as allowed.
        request.everyMs = Math.ceil(rangeMs / maxPoints);
        request.agg = 'mean';
        points = await deps.store.queryHistory(request);
      }
    } catch (err) {
      req.log.warn({ err: (err as Error).message }, 'history query failed');
      return reply.code(503).send(fail('store_unavailable', 'the telemetry store did not answer'));
    }
    const body: HistoryResponse = { device: q.device, field: q.field, from: q.from, to: q.to, everyMs: request.everyMs, agg: request.agg, points };
    return body;
  });
}
