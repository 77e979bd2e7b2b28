// The demo fleet: an admin starts (or stops) a few simulated devices inside the broker process
// from the console's empty fleet page, so a newcomer sees live charts within a minute of
// `npm start`. The devices are the simulator's own (devices-sim/src/demo.ts, loaded at run time:
// the simulator stays optional, and a broker without it answers 501), real MQTT clients of the
// broker's TCP port with device tokens signed by its secret. Bounded: at most `maxDemoDevices`,
// one fleet at a time, stopped when the broker closes.
import type { FastifyInstance } from 'fastify';
import type { Logger } from 'pino';
import { z } from 'zod';
import type { DemoFleetOptions, DemoFleetRunner, DemoFleetStatus } from '../contract/index.ts';

export const maxDemoDevices = 20;
const demoPrefix = 'demo';
const demoIntervalMs = 1000;

export type DemoFleetFactory = (options: DemoFleetOptions) => DemoFleetRunner;

/** The simulator's demo module; a bare specifier in a variable keeps it out of the build graph. */
async function loadSimulator(): Promise<DemoFleetFactory> {
  const specifier = '@telemq/devices-sim/demo';
  const mod = (await import(specifier)) as { createDemoFleet: DemoFleetFactory };
  return mod.createDemoFleet;
}

const demoRequest = z
  .object({ action: z.enum(['start', 'stop']), devices: z.number().int().min(1).max(maxDemoDevices).default(12) })
  .strict();

export interface DemoFleetDeps {
  /** the listening host; a wildcard address is reached on loopback */
  host: string;
  /** the bound MQTT over TCP port (known after listen) */
  mqttPort(): number;
  /** the HS256 secret device tokens are signed with; null when auth is off */
  secret: string | null;
  log: Logger;
  /** replaces the simulator (tests) */
  load?: () => Promise<DemoFleetFactory>;
}

export function loopbackOf(host: string): string {
  if (host === '0.0.0.0' || host === '' || host === '::') return '127.0.0.1';
  return host.includes(':') ? `[${host}]` : host;
}

export interface DemoFleet {
  /** stops a running fleet; later starts are refused */
  close(): Promise<void>;
}

export function registerDemoFleetRoute(app: FastifyInstance, deps: DemoFleetDeps): DemoFleet {
  const load = deps.load ?? loadSimulator;
  let runner: DemoFleetRunner | null = null;
  let status: Omit<DemoFleetStatus, 'connected'> = { state: 'stopped', devices: 0, prefix: demoPrefix, detail: '' };
  let isClosed = false;
  const current = (): DemoFleetStatus => ({ ...status, connected: runner?.connected() ?? 0 });

  async function start(devices: number): Promise<void> {
    const create = await load();
    const fleet = create({ url: `mqtt://${loopbackOf(deps.host)}:${deps.mqttPort()}`, devices, intervalMs: demoIntervalMs, prefix: demoPrefix, secret: deps.secret });
    runner = fleet;
    status = { state: 'starting', devices, prefix: demoPrefix, detail: '' };
    await fleet.start();
    if (runner === fleet) status = { ...status, state: 'running' };
  }

  async function stop(): Promise<void> {
    const fleet = runner;
    runner = null;
    status = { ...status, state: 'stopped', devices: 0 };
    await fleet?.stop();
  }

  app.get('/api/demo-fleet', { config: { auth: 'user' } }, () => current());

  app.post('/api/demo-fleet', { bodyLimit: 1024, config: { auth: 'admin' } }, async (req, reply) => {
    const parsed = demoRequest.safeParse(req.body);
    if (!parsed.success) return reply.code(400).send({ error: 'invalid_request', message: `expected JSON {"action": "start" | "stop", "devices"?: 1..${maxDemoDevices}}` });
    if (isClosed) return reply.code(503).send({ error: 'closing', message: 'the broker is shutting down' });
    if (parsed.data.action === 'stop') {
      await stop();
      return current();
    }
    if (runner) return current(); // one fleet at a time: starting again is a no-op
    try {
      await start(parsed.data.devices);
    } catch (err) {
      const detail = (err as Error).message;
      const code = (err as NodeJS.ErrnoException).code;
      await stop();
      status = { ...status, state: 'failed', detail };
      deps.log.warn({ err: detail }, 'demo fleet did not start');
      if (code === 'ERR_MODULE_NOT_FOUND') return reply.code(501).send({ error: 'simulator_missing', message: 'the simulator (devices-sim) is not installed beside this broker' });
      return reply.code(502).send({ error: 'demo_failed', message: detail });
    }
    deps.log.info({ devices: parsed.data.devices }, 'demo fleet started');
    return current();
  });

  return {
    async close() {
      isClosed = true;
      await stop();
    },
  };
}
