// One simulated device: one MQTT.js client with its own client id and credentials, a retained
// `online` / `offline` status (the offline one as last will), telemetry on a timer, commands
// answered on its replies topic, reconnects with full-jitter backoff. The only module importing mqtt.
import { parseDeviceTopic, topics } from '@telemq/broker/contract';
import mqtt, { type IClientOptions, type MqttClient } from 'mqtt';
import { createBackoff } from './backoff.ts';
import { decideCommand } from './commands.ts';
import type { Qos } from './config.ts';
import type { PasswordSource } from './credentials.ts';
import type { Signal } from './signals/index.ts';
import { createRandom, type Random } from './signals/random.ts';
import type { FleetStats } from './stats.ts';

export interface DeviceOptions {
  id: string;
  url: string;
  signal: Signal;
  intervalMs: number;
  qos: Qos;
  password: PasswordSource;
  backoff: { baseMs: number; capMs: number };
  /** jitter of reconnects and reboots; seeded per device */
  seed: number;
  connectTimeoutMs: number;
  insecure: boolean;
  stats: FleetStats;
}

/** Why the first connection failed; the fleet turns it into one message. */
export interface ConnectFailure {
  reason: 'refused' | 'unreachable';
  detail: string;
}

export interface Device {
  readonly id: string;
  /** connects; resolves on the first CONNACK, or with the failure of the first attempt when `failFast` */
  start(options: { failFast: boolean }): Promise<ConnectFailure | null>;
  /** publishes `offline` (retained), disconnects, stops reconnecting */
  stop(): Promise<void>;
}

const REBOOT_MIN_MS = 500;
const REBOOT_MAX_MS = 2000;
const STOP_TIMEOUT_MS = 3000;

/**
 * Where a device is. `rebooting`: a reboot command closed the connection on purpose, so the next
 * attempt comes after a reboot's delay rather than the backoff.
 */
type DeviceState =
  | { name: 'connecting' }
  | { name: 'online'; telemetry: Telemetry }
  | { name: 'rebooting' }
  | { name: 'waiting'; retry: NodeJS.Timeout }
  | { name: 'stopped' };

/** The pending answer of start(): settled by the first CONNACK, or by the first failure when failing fast. */
interface FirstConnect {
  failFast: boolean;
  settle(failure: ConnectFailure | null): void;
}

export function createDevice(options: DeviceOptions): Device {
  const { id, stats } = options;
  const random: Random = createRandom(options.seed);
  const backoff = createBackoff({ ...options.backoff, random });
  let client: MqttClient | undefined;
  let intervalMs = options.intervalMs;
  let state: DeviceState = { name: 'connecting' };
  let firstConnect: FirstConnect | null = null;
  let lastFailure: ConnectFailure | undefined;

  // Transitions, one function each; every change of `state` happens in one of them.

  function goOnline(c: MqttClient): void {
    if (state.name === 'stopped') return; // stop() already ends this client
    const wasFirst = firstConnect !== null;
    state = { name: 'online', telemetry: startTelemetry(() => publishTelemetry(c), () => intervalMs) };
    stats.connected++;
    if (!wasFirst) stats.reconnects++;
    backoff.reset();
    lastFailure = undefined;
    c.publish(topics.status(id), 'online', { qos: 1, retain: true });
    c.subscribe(topics.commands(id), { qos: 1 }, (err) => {
      if (err) stats.errors++;
    });
    firstConnect?.settle(null);
    firstConnect = null;
  }

  function reboot(c: MqttClient): void {
    if (state.name !== 'online') return;
    // A reboot loses power: no DISCONNECT, so the broker publishes the last will.
    leaveOnline(state);
    state = { name: 'rebooting' };
    c.stream.destroy();
  }

  function connectionClosed(): void {
    if (state.name === 'online') leaveOnline(state);
    if (state.name === 'stopped' || state.name === 'waiting') return;
    if (firstConnect?.failFast) {
      firstConnect.settle(lastFailure ?? { reason: 'unreachable', detail: `no answer within ${options.connectTimeoutMs} ms` });
      firstConnect = null;
      stop()?.end(true);
      return;
    }
    const delayMs = state.name === 'rebooting' ? REBOOT_MIN_MS + random() * (REBOOT_MAX_MS - REBOOT_MIN_MS) : backoff.nextDelayMs();
    state = { name: 'waiting', retry: setTimeout(() => void connectAgain(), delayMs) };
  }

  async function connectAgain(): Promise<void> {
    if (state.name !== 'waiting' || !client) return;
    state = { name: 'connecting' };
    const password = await options.password(id);
    if (state.name !== 'connecting') return; // stopped meanwhile
    client.options.password = password;
    client.reconnect();
  }

  function stop(): MqttClient | undefined {
    if (state.name === 'online') leaveOnline(state);
    if (state.name === 'waiting') clearTimeout(state.retry);
    state = { name: 'stopped' };
    firstConnect?.settle(null);
    firstConnect = null;
    return client;
  }

  function leaveOnline(online: Extract<DeviceState, { name: 'online' }>): void {
    online.telemetry.stop();
    stats.connected--;
  }

  function publishTelemetry(c: MqttClient): void {
    const nowMs = Date.now();
    const payload = JSON.stringify({ ...options.signal.sample(nowMs), ts: nowMs });
    stats.sent++;
    c.publish(topics.telemetry(id), payload, { qos: options.qos }, (err) => {
      if (err) stats.errors++;
    });
  }

  function onMessage(topic: string, payload: Buffer): void {
    const parsed = parseDeviceTopic(topic);
    if (!client || parsed?.kind !== 'command' || parsed.deviceId !== id || !parsed.name) return;
    stats.commands++;
    const action = decideCommand(parsed.name, payload, Date.now());
    const c = client;
    c.publish(topics.reply(id, parsed.name), JSON.stringify(action.reply), { qos: 1 }, (err) => {
      if (err) stats.errors++;
      else if (action.kind === 'reboot') reboot(c);
    });
    if (action.kind === 'set-interval' && state.name === 'online') {
      intervalMs = action.intervalMs;
      state.telemetry.restart();
    }
  }

  async function start(startOptions: { failFast: boolean }): Promise<ConnectFailure | null> {
    const connectOptions: IClientOptions = {
      clientId: id,
      username: id,
      password: await options.password(id),
      clean: true,
      keepalive: 60,
      protocolVersion: 4,
      reconnectPeriod: 0, // reconnects are ours: full jitter instead of a fixed period
      resubscribe: false, // subscribed again on every connect (clean session)
      connectTimeout: options.connectTimeoutMs,
      rejectUnauthorized: !options.insecure,
      will: { topic: topics.status(id), payload: Buffer.from('offline'), qos: 1, retain: true },
    };
    const first = new Promise<ConnectFailure | null>((settle) => (firstConnect = { failFast: startOptions.failFast, settle }));
    const c = mqtt.connect(options.url, connectOptions);
    client = c;
    c.on('connect', () => goOnline(c));
    c.on('close', connectionClosed);
    c.on('message', onMessage);
    c.on('error', (err) => {
      // Ending, the device sent DISCONNECT: a reset that follows (a TLS peer closing with our
      // close_notify unread) is how the connection ends, not a failure.
      if (state.name === 'stopped') return;
      stats.errors++;
      lastFailure = describeFailure(err);
      stats.lastError = lastFailure.detail;
    });
    return first;
  }

  async function end(): Promise<void> {
    const wasOnline = state.name === 'online';
    const c = stop();
    if (!c) return;
    if (wasOnline) {
      // A clean shutdown sends DISCONNECT, which cancels the will: say `offline` ourselves first.
      // Bounded: a broker that went away never acknowledges, and the will covers that case.
      let stopTimer: NodeJS.Timeout | undefined;
      await Promise.race([
        c.publishAsync(topics.status(id), 'offline', { qos: 1, retain: true }).then(() => c.endAsync()),
        new Promise<void>((resolve) => c.once('close', () => resolve())),
        new Promise((resolve) => (stopTimer = setTimeout(resolve, STOP_TIMEOUT_MS))),
      ]).catch(() => stats.errors++);
      clearTimeout(stopTimer);
    }
    c.end(true);
  }

  return { id, start, stop: end };
}

interface Telemetry {
  /** starts again from now, at the current interval */
  restart(): void;
  stop(): void;
}

/**
 * Telemetry every interval against the clock, not after each callback: setInterval drifts by the
 * event loop's lag on every tick, which on a busy machine lowers the rate of the whole fleet. A late
 * tick is caught up at once, but never more than one: a device far behind skips ahead.
 */
function startTelemetry(publish: () => void, intervalMs: () => number): Telemetry {
  let timer: NodeJS.Timeout | undefined;
  const restart = () => {
    clearTimeout(timer);
    let dueMs = Date.now();
    const tick = () => {
      publish();
      const nowMs = Date.now();
      dueMs = Math.max(dueMs + intervalMs(), nowMs);
      timer = setTimeout(tick, Math.max(0, dueMs - nowMs));
    };
    tick();
  };
  restart();
  return { restart, stop: () => clearTimeout(timer) };
}

/**
 * A refusal is a CONNACK with return code 4 or 5 (MQTT.js puts it in `code`) or an HTTP 401/403
 * answering the WebSocket upgrade (ws reports only the status, in its message); anything else means
 * the broker could not be reached.
 */
function describeFailure(err: Error & { code?: unknown }): ConnectFailure {
  const detail = typeof err.code === 'string' && !err.message.includes(err.code) ? `${err.code} ${err.message}` : err.message;
  const httpStatus = /^Unexpected server response: (\d{3})$/.exec(err.message)?.[1];
  const isRefused = err.code === ConnackCode.badCredentials || err.code === ConnackCode.notAuthorized || httpStatus === '401' || httpStatus === '403';
  return { reason: isRefused ? 'refused' : 'unreachable', detail };
}

/** MQTT 3.1.1 CONNACK return codes that refuse credentials [MQTT-3.2.2.3]. */
const ConnackCode = { badCredentials: 4, notAuthorized: 5 } as const;
