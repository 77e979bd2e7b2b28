// Shared by the auth, guards and fuzz tests: token signing and CONNACK probing with MQTT.js.
import type { JWTPayload } from 'jose';
import mqtt, { type IClientOptions, type MqttClient } from 'mqtt';
import WebSocket from 'ws';
import { mintToken } from '../../../test/support/tokens.ts';
import type { ConfigInput } from '../../src/config.ts';
import type { RefusalReason } from '../../src/guards/refusals.ts';

export const testSecret = 'test-secret-0123456789-abcdefghijklmnop';
export const adminPassword = 'admin-pass-0123';

/** An app config with a known secret, a cheap scrypt cost and limits out of the way. */
export function securedConfig(extra: ConfigInput = {}): ConfigInput {
  return {
    ...extra,
    auth: { jwtSecret: testSecret, adminPassword, scryptCostLog2: 10, ...extra.auth },
    guards: { failedAuthPerIpPerMin: 10_000, connectAttemptsPerIpPerMin: 100_000, ...extra.guards },
  };
}

export function signToken(claims: JWTPayload, options: { secret?: string; expiresInSec?: number; notBeforeSec?: number } = {}): Promise<string> {
  return mintToken(claims, { key: options.secret ?? testSecret, ttlSec: options.expiresInSec, notBeforeSec: options.notBeforeSec });
}

export const deviceToken = (deviceId: string) => signToken({ sub: deviceId, role: 'device' });

/** MQTT 3.1.1 carries a password only with a user name; a token needs none, so any name will do. */
function withUserName(options: IClientOptions): IClientOptions {
  return options.password !== undefined && options.username === undefined ? { ...options, username: options.clientId ?? 'token' } : options;
}

/** Connects and resolves with the CONNACK return code (0: connected, then closed); rejects when the connection closes without one. */
export async function connackCode(url: string, options: IClientOptions): Promise<number> {
  const client = mqtt.connect(url, { reconnectPeriod: 0, connectTimeout: 5000, ...withUserName(options) });
  try {
    return await new Promise<number>((resolve, reject) => {
      client.once('connect', () => resolve(0));
      client.once('error', (err) => {
        const code = (err as { code?: unknown }).code;
        if (typeof code === 'number') resolve(code);
        else reject(err);
      });
      client.once('close', () => reject(new Error('connection closed without CONNACK')));
    });
  } finally {
    await client.endAsync(true);
  }
}

export async function connect(url: string, options: IClientOptions): Promise<MqttClient> {
  return mqtt.connectAsync(url, { reconnectPeriod: 0, connectTimeout: 5000, ...withUserName(options) });
}

/** The value of telemq_refusals_total for one reason, read from /metrics. */
export async function refusalCount(httpUrl: string, reason: RefusalReason): Promise<number> {
  const text = await (await fetch(`${httpUrl}/metrics`)).text();
  const line = text.split('\n').find((l) => l.startsWith('telemq_refusals_total{') && l.includes(`reason="${reason}"`));
  return line ? Number(line.split(' ').pop()) : 0;
}

/** SUBACK return codes, one per filter in order (MQTT.js rejects when any is 0x80; we want them all). */
export async function subackCodes(client: MqttClient, filters: string[], qos: 0 | 1 = 1): Promise<number[]> {
  try {
    const granted = await client.subscribeAsync(Object.fromEntries(filters.map((f) => [f, { qos }])));
    return filters.map((f) => granted.find((g) => g.topic === f)?.qos ?? -1);
  } catch (err) {
    const packet = (err as { packet?: { granted?: number[] } }).packet;
    if (!packet?.granted) throw err;
    return packet.granted;
  }
}

/** The HTTP status a WebSocket upgrade gets: 101 when it opens, else the refusal's status. */
export function upgradeStatus(url: string, { protocols = ['mqtt'], headers = {} }: { protocols?: string[]; headers?: Record<string, string> } = {}): Promise<number> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url, protocols, { headers });
    ws.once('open', () => {
      ws.terminate();
      resolve(101);
    });
    ws.once('unexpected-response', (_req, res) => {
      resolve(res.statusCode ?? 0);
      res.resume();
      ws.terminate();
    });
    ws.once('error', reject);
  });
}
