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
