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

export function createDevice(options: DeviceOptions): Device {
  const { id, stats } = options;
  const random: Random = createRandom(options.seed);
  const backoff = createBackoff({ ...options.backoff, random });
  let client: MqttClient | undefined;
  let intervalMs = options.intervalMs;
  let timer: NodeJS.Timeout | undefined;
  let retryTimer: NodeJS.Timeout | undefined;
  let isConnected = false;
  let hasConnected = false;
  let isStopping = false;
  let isRebooting = false;
  let lastError: string | undefined;
  let settleFirst: ((failure: ConnectFailure | null) => void) | undefined;
  let failFast = false;

  function publishTelemetry(): void {
    if (!client || !isConnected) return;
    const nowMs = Date.now();
    const payload = JSON.stringify({ ...options.signal.sample(nowMs), ts: nowMs });
    stats.sent++;
    client.publish(topics.telemetry(id), payload, { qos: options.qos }, (err) => {
      if (err) stats.errors++;
    });
  }

  /**
   * Telemetry every intervalMs against the clock, not after each callback: setInterval drifts by
   * the event loop's lag on every tick, which on a busy machine lowers the rate of the whole fleet.
   * A late tick is caught up at once, but never more than one: a device far behind skips ahead.
   */
  function startTimer(): void {
    clearTimeout(timer);
    let dueMs = Date.now();
    const tick = () => {
      publishTelemetry();
      const nowMs = Date.now();
      dueMs = Math.max(dueMs + intervalMs, nowMs);
      timer = setTimeout(tick, Math.max(0, dueMs - nowMs));
    };
    tick();
  }

  function onConnect(): void {
    const c = client!;
    isConnected = true;
    stats.connected++;
    if (hasConnected) stats.reconnects++;
    hasConnected = true;
    backoff.reset();
    lastError = undefined;
    c.publish(topics.status(id), 'online', { qos: 1, retain: true });
    c.subscribe(topics.commands(id), { qos: 1 }, (err) => {
      if (err) stats.errors++;
    });
    startTimer();
    settleFirst?.(null);
    settleFirst = undefined;
  }

  function onClose(): void {
    if (isConnected) stats.connected--;
    isConnected = false;
    clearTimeout(timer);
    if (isStopping) return;
    if (settleFirst && failFast) {
      settleFirst(describeFailure(lastError ?? `no answer within ${options.connectTimeoutMs} ms`));
      settleFirst = undefined;
      isStopping = true;
      client?.end(true);
      return;
    }
    const delayMs = isRebooting ? REBOOT_MIN_MS + random() * (REBOOT_MAX_MS - REBOOT_MIN_MS) : backoff.nextDelayMs();
    isRebooting = false;
    clearTimeout(retryTimer);
    retryTimer = setTimeout(() => void reconnect(), delayMs);
  }

  async function reconnect(): Promise<void> {
    if (isStopping || !client) return;
    const password = await options.password(id);
    if (isStopping) return;
    client.options.password = password;
    client.reconnect();
  }

  function onMessage(topic: string, payload: Buffer): void {
    const parsed = parseDeviceTopic(topic);
    if (!client || parsed?.kind !== 'command' || parsed.deviceId !== id || !parsed.name) return;
    stats.commands++;
    const action = decideCommand(parsed.name, payload, Date.now());
    const c = client;
    c.publish(topics.reply(id, parsed.name), JSON.stringify(action.reply), { qos: 1 }, (err) => {
      if (err) stats.errors++;
      if (action.kind === 'reboot' && !err && !isStopping) {
        // A reboot loses power: no DISCONNECT, so the broker publishes the last will.
        isRebooting = true;
        c.stream.destroy();
      }
    });
    if (action.kind === 'set-interval') {
      intervalMs = action.intervalMs;
      startTimer();
    }
  }

  async function start(startOptions: { failFast: boolean }): Promise<ConnectFailure | null> {
    failFast = startOptions.failFast;
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
    const first = new Promise<ConnectFailure | null>((resolve) => (settleFirst = resolve));
    client = mqtt.connect(options.url, connectOptions);
    client.on('connect', onConnect);
    client.on('close', onClose);
    client.on('message', onMessage);
    client.on('error', (err) => {
      stats.errors++;
      lastError = errorText(err);
      stats.lastError = lastError;
    });
    return first;
  }

  async function stop(): Promise<void> {
    isStopping = true;
    clearTimeout(timer);
    clearTimeout(retryTimer);
    settleFirst?.(null);
    const c = client;
    if (!c) return;
    if (isConnected) {
      // A clean shutdown sends DISCONNECT, which cancels the will: say `offline` ourselves first.
      // Bounded: a broker that went away never acknowledges, and the will covers that case.
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([
        c.publishAsync(topics.status(id), 'offline', { qos: 1, retain: true }).then(() => c.endAsync()),
        new Promise<void>((resolve) => c.once('close', () => resolve())),
        new Promise((resolve) => (timer = setTimeout(resolve, STOP_TIMEOUT_MS))),
      ]).catch(() => stats.errors++);
      clearTimeout(timer);
    }
    c.end(true);
  }

  return { id, start, stop };
}

function errorText(err: Error & { code?: unknown }): string {
  return typeof err.code === 'string' && !err.message.includes(err.code) ? `${err.code} ${err.message}` : err.message;
}

function describeFailure(text: string): ConnectFailure {
  const isRefused = /not authori[sz]ed|bad user name or password|bad username or password|unexpected server response: 40[13]/i.test(text);
  return { reason: isRefused ? 'refused' : 'unreachable', detail: text };
}
