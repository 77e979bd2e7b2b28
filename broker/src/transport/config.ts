import { z } from 'zod';

const port = z.number().int().min(0).max(65535);

export const transportConfigSchema = z.object({
  /** listen address */
  host: z.string().default('0.0.0.0'),
  /** MQTT over TCP; 0 picks a free port */
  mqttPort: port.default(1883),
  /** MQTT over TLS, only when tls is set */
  mqttsPort: port.default(8883),
  /** HTTP: console, API, MQTT over WebSocket (wss when tls is set) */
  httpPort: port.default(8080),
  tls: z
    .object({ certFile: z.string().min(1), keyFile: z.string().min(1) })
    .nullable()
    .default(null),
  ws: z
    .object({
      path: z.string().startsWith('/').default('/mqtt'),
      /** below common proxy idle timeouts (30-60 s); a socket that misses its pong is terminated */
      pingIntervalMs: z.number().int().min(100).default(20_000),
    })
    .prefault({}),
  /** upper bound on the MQTT keepalive a client may ask for, in seconds */
  keepaliveLimitSec: z.number().int().min(1).max(65535).default(600),
});

export type TransportConfig = z.infer<typeof transportConfigSchema>;
