import { PassThrough } from 'node:stream';
import { createApp, type App, type BoundPorts } from '../../broker/src/app.ts';
import { parseConfig, type ConfigInput } from '../../broker/src/config.ts';
import { createLogger } from '../../broker/src/logger.ts';
import { createTempDir } from './temp-dir.ts';

export interface TestApp {
  app: App;
  ports: BoundPorts;
  dataDir: string;
  /** every log line so far, parsed */
  logs: Array<Record<string, unknown>>;
  /** every log line so far, as written */
  logText(): string;
  mqttUrl: string;
  wsUrl: string;
  httpUrl: string;
  close(): Promise<void>;
}

/** Boots the real app on 127.0.0.1 with port 0 everywhere and a temporary data folder. */
export async function startTestApp(input: ConfigInput = {}, options: { dataDir?: string } = {}): Promise<TestApp> {
  const temp = options.dataDir === undefined ? createTempDir('telemq-test-') : undefined;
  const dataDir = options.dataDir ?? temp!.path;
  const config = parseConfig({
    dataDir,
    logLevel: 'debug',
    ...input,
    transport: { host: '127.0.0.1', mqttPort: 0, mqttsPort: 0, httpPort: 0, ...input.transport },
  });
  const sink = new PassThrough();
  const lines: string[] = [];
  let partial = '';
  sink.on('data', (chunk: Buffer) => {
    const parts = (partial + chunk.toString('utf8')).split('\n');
    partial = parts.pop() ?? '';
    lines.push(...parts);
  });
  const log = createLogger(config.logLevel, sink);
  const app = createApp(config, { log });
  const ports = await app.start();
  return {
    app,
    ports,
    dataDir,
    get logs() {
      return lines.map((l) => JSON.parse(l) as Record<string, unknown>);
    },
    logText: () => lines.join('\n') + partial,
    mqttUrl: `mqtt://127.0.0.1:${ports.mqtt}`,
    wsUrl: `ws://127.0.0.1:${ports.http}/mqtt`,
    httpUrl: `http://127.0.0.1:${ports.http}`,
    async close() {
      await app.close();
      temp?.remove();
    },
  };
}
