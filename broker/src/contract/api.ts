// HTTP API shapes shared by the broker and the console.

export type Role = 'device' | 'console' | 'admin' | (string & {});

export interface LoginRequest {
  username: string;
  password: string;
}

export interface LoginResponse {
  token: string;
  /** epoch ms */
  expiresAt: number;
  username: string;
  role: Role;
}

export type Aggregation = 'mean' | 'min' | 'max' | 'last';

export interface HistoryQuery {
  device: string;
  field: string;
  /** epoch ms, inclusive */
  from: number;
  /** epoch ms, exclusive */
  to: number;
  /** window in ms; omitted: raw points */
  everyMs?: number;
  agg?: Aggregation;
}

export interface HistoryPoint {
  /** epoch ms (window start when aggregated) */
  t: number;
  v: number | null;
}

export interface HistoryResponse {
  device: string;
  field: string;
  from: number;
  to: number;
  everyMs: number | null;
  agg: Aggregation | null;
  points: HistoryPoint[];
}

export interface DeviceSummary {
  deviceId: string;
  status: 'online' | 'offline' | 'unknown';
  /** epoch ms of the last telemetry, or null */
  lastSeen: number | null;
  latest: Record<string, number | boolean | string>;
}

export interface DevicesResponse {
  devices: DeviceSummary[];
}

export interface ApiError {
  error: string;
  message: string;
}

/** Who a connection or request is, once authenticated. */
export interface Identity {
  /** device id or user name (JWT `sub`) */
  subject: string;
  role: Role;
}

/** A message on the SSE and long-polling fallbacks. */
export interface WireMessage {
  topic: string;
  /** base64: payloads are bytes */
  payload: string;
  retain: boolean;
}

/** Which filters of a fallback request were granted and which the ACL refused. */
export interface WireSubscribed {
  granted: string[];
  refused: string[];
}

/** GET /api/poll */
export interface WirePollResponse extends WireSubscribed {
  session: string;
  messages: WireMessage[];
  /** messages this session lost since the last answer (its queue or the shared budget was full) */
  dropped: number;
  /** messages may be missing before these: the session had stopped receiving (no request came for
   * `live.pollGraceMs`), or the session asked for was gone and this is a new one */
  gap?: boolean;
}

/** POST /api/publish: `payload` is text, or base64 with `encoding: 'base64'` */
export interface PublishRequest {
  topic: string;
  payload: string;
  encoding?: 'utf8' | 'base64';
  qos?: 0 | 1;
  retain?: boolean;
  /** check only: answers as a publish would, without publishing */
  dryRun?: boolean;
}

export interface PublishResponse {
  topic: string;
  bytes: number;
  qos: 0 | 1;
  retain: boolean;
  /** the request was a dry run: nothing was published */
  dryRun?: true;
}

/** Why a filter would be granted or refused to the caller (GET /api/subscription-check?filter=). */
export type SubscriptionVerdict = 'allowed' | 'invalid_filter' | 'too_long' | 'too_deep' | 'unknown_role' | 'denied' | 'not_allowed';

export interface SubscriptionCheckResponse {
  filter: string;
  verdict: SubscriptionVerdict;
  /** one sentence for a person: the rule, limit or pattern behind the verdict */
  message: string;
  /** the role's patterns behind it: the one that allows or denies, or all it may subscribe to */
  patterns: string[];
}

/** How the console shows one telemetry field: declared once in the broker's config. */
export interface FieldFormat {
  label?: string;
  /** shown after the value, e.g. "°C"; empty for none */
  unit: string;
  /** decimals shown; unset: as the value came */
  precision?: number;
  /** 'state': a 0/1 or boolean field, drawn as steps */
  kind: 'number' | 'state';
}

/** GET /api/console-settings: what the console needs to show and onboard. */
export interface ConsoleSettings {
  fields: Record<string, FieldFormat>;
  /** a device with no telemetry within this many of its own intervals is stale */
  staleAfterIntervals: number;
  connect: {
    /** MQTT over TCP port; MQTT over WebSocket is on the console's own origin at `wsPath` */
    mqttPort: number;
    wsPath: string;
  };
  /** whether this caller may mint device tokens (POST /api/device-tokens) */
  canMintTokens: boolean;
}

/** POST /api/device-tokens (admin) */
export interface DeviceTokenRequest {
  deviceId: string;
  /** e.g. "30d", "12h"; default 30d */
  ttl?: string;
}

export interface DeviceTokenResponse {
  deviceId: string;
  token: string;
  /** epoch ms */
  expiresAt: number;
}

/** How one bridge rule decodes and names a message (bridge.rules, as the broker runs them). */
export type BridgeRuleCodec =
  | { type: 'json'; separator: string; timestampField: string }
  | { type: 'number'; field: string }
  | { type: 'boolean'; field: string }
  /** decoded by the broker only (the .proto file stays on the server) */
  | { type: 'protobuf'; messageType?: string };

export interface BridgeRuleInfo {
  name: string;
  /** MQTT topic filter */
  topic: string;
  /** fixed name, or `{N}` for topic level N */
  measurement: string;
  /** tag name → topic level */
  tags: Record<string, number>;
  codec: BridgeRuleCodec;
}

/** GET /api/bridge-rules: what the bridge does with a message, for the console's preview. */
export interface BridgeRulesResponse {
  enabled: boolean;
  /** the first rule whose topic matches a message maps it */
  rules: BridgeRuleInfo[];
  /** topics that are not telemetry: neither stored nor dead-lettered when no rule matches */
  ignoreTopics: string[];
}

/** GET and POST /api/demo-fleet: a small simulated fleet inside the broker, for a first look. */
export interface DemoFleetStatus {
  state: 'stopped' | 'starting' | 'running' | 'failed';
  devices: number;
  connected: number;
  /** device ids are `${prefix}-1` .. `${prefix}-N` */
  prefix: string;
  /** why the last start failed, '' otherwise */
  detail: string;
}

/** POST /api/demo-fleet (admin) */
export interface DemoFleetRequest {
  action: 'start' | 'stop';
  /** 1..20, default 12 */
  devices?: number;
}

/** What the broker asks of the simulator library (devices-sim/src/demo.ts). */
export interface DemoFleetOptions {
  /** the broker's own MQTT over TCP, e.g. mqtt://127.0.0.1:1883 */
  url: string;
  devices: number;
  intervalMs: number;
  prefix: string;
  /** HS256 secret the devices sign their tokens with; null on a broker without auth */
  secret: string | null;
}

export interface DemoFleetRunner {
  /** resolves once the first device is connected; rejects with the reason otherwise */
  start(): Promise<void>;
  connected(): number;
  stop(): Promise<void>;
}

/** GET /api/broker-history: the broker's recent figures, one sample per `intervalMs`, oldest first. */
export interface BrokerHistoryResponse {
  intervalMs: number;
  /** epoch ms of each sample */
  t: number[];
  connections: number[];
  /** messages per second over the interval before each sample */
  messagesIn: number[];
  messagesOut: number[];
}
