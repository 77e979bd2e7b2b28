// GET /api/devices: every device the store knows or whose status was seen, with last seen time,
// online/offline from the status topics and its latest values. A caller sees the devices whose
// telemetry it may subscribe to (a console user all, a device itself).
import type { FastifyInstance } from 'fastify';
import type { AccessControl } from '../auth/index.ts';
import type { MqttBroker } from '../broker/mqtt-broker.ts';
import { parseDeviceTopic, topics, type DeviceStatus, type DeviceSummary, type DevicesResponse } from '../contract/index.ts';
import type { TelemetryStore } from '../stores/types.ts';
import { mayRead } from './history.ts';
import { identityOf } from './auth-hook.ts';

export interface Presence {
  status(deviceId: string): DeviceStatus | undefined;
  deviceIds(): string[];
  close(): Promise<void>;
}

/**
 * Follows devices/+/status ("online" / "offline", the will) through an in-process subscription.
 * Retained statuses published before this process started are not replayed to it.
 * `onDevice` hears each device id a status is seen for (from this node or another).
 */
export async function createPresence(broker: Pick<MqttBroker, 'subscribe'>, onDevice: (deviceId: string) => void = () => {}): Promise<Presence> {
  const statuses = new Map<string, DeviceStatus>();
  const unsubscribe = await broker.subscribe(topics.allStatus, (message) => {
    const parsed = parseDeviceTopic(message.topic);
    if (parsed?.kind !== 'status') return;
    onDevice(parsed.deviceId);
    const text = message.payload.toString('utf8').trim();
    if (text === 'online' || text === 'offline') statuses.set(parsed.deviceId, text);
    else if (text === '') statuses.delete(parsed.deviceId); // retained status cleared
  });
  return {
    status: (deviceId) => statuses.get(deviceId),
    deviceIds: () => [...statuses.keys()],
    close: unsubscribe,
  };
}

/** Ids of the devices with a retained status (kept across restarts by the broker's persistence). */
export async function retainedStatusIds(broker: Pick<MqttBroker, 'retained'>): Promise<string[]> {
  const ids: string[] = [];
  for await (const message of broker.retained(topics.allStatus)) {
    const parsed = parseDeviceTopic(message.topic);
    if (parsed?.kind === 'status' && message.payload.length > 0) ids.push(parsed.deviceId);
  }
  return ids;
}

/** Ids of the devices the store has telemetry for. */
export async function storedDeviceIds(store: Pick<TelemetryStore, 'devices'>): Promise<string[]> {
  return (await store.devices()).map((d) => d.deviceId);
}

export interface DevicesRouteDeps {
  store: TelemetryStore;
  presence: Presence;
  access: Pick<AccessControl, 'acl'>;
}

export function registerDevicesRoutes(app: FastifyInstance, deps: DevicesRouteDeps): void {
  app.get('/api/devices', { config: { auth: 'user' } }, async (req, reply) => {
    const identity = identityOf(req);
    let records;
    try {
      records = await deps.store.devices();
    } catch (err) {
      req.log.warn({ err: (err as Error).message }, 'devices query failed');
      return reply.code(503).send({ error: 'store_unavailable', message: 'the telemetry store did not answer' });
    }
    const stored = new Map(records.map((d) => [d.deviceId, d]));
    const ids = new Set([...stored.keys(), ...deps.presence.deviceIds()]);
    const devices: DeviceSummary[] = [];
    for (const deviceId of [...ids].sort()) {
      if (!mayRead(deps.access.acl, identity, deviceId)) continue;
      const record = stored.get(deviceId);
      devices.push({ deviceId, status: deps.presence.status(deviceId) ?? 'unknown', lastSeen: record?.lastSeenMs ?? null, latest: record?.latest ?? {} });
    }
    const body: DevicesResponse = { devices };
    return body;
  });
}
