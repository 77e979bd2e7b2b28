// There is no Docker engine on the test machine, so the Docker files are checked statically:
// the compose file parses and names the services, ports and TELEMQ_* variables telemq really
// uses; everything the Dockerfile copies from the build context exists; its CMD is the built entry.
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { parse as parseYaml } from 'yaml';
import { configEnvNames, loadConfig } from '../../broker/src/config.ts';

const root = path.resolve(path.dirname(new URL(import.meta.url).pathname), '../..');
const dockerDir = path.join(root, 'docker');

interface ComposeService {
  build?: { context: string; dockerfile: string };
  image?: string;
  environment?: Record<string, string>;
  ports?: string[];
  depends_on?: Record<string, unknown>;
  healthcheck?: { test: string[] };
}

const compose = parseYaml(readFileSync(path.join(dockerDir, 'compose.yaml'), 'utf8')) as { services: Record<string, ComposeService>; volumes: Record<string, unknown> };
const dockerfile = readFileSync(path.join(dockerDir, 'Dockerfile'), 'utf8');

test('compose.yaml: broker, InfluxDB and Redis with the documented ports', () => {
  assert.deepEqual(Object.keys(compose.services).sort(), ['influxdb', 'redis', 'telemq']);
  const published = (name: string) => (compose.services[name]!.ports ?? []).map((p) => Number(p.split(':').pop()));
  assert.deepEqual(published('telemq').sort(), [1883, 8080]);
  assert.deepEqual(published('influxdb'), [8086]);
  assert.deepEqual(published('redis'), [6379]);
  assert.ok(compose.services.influxdb!.healthcheck && compose.services.redis!.healthcheck);
  assert.deepEqual(Object.keys(compose.services.telemq!.depends_on ?? {}).sort(), ['influxdb', 'redis']);
});

test('compose.yaml: every TELEMQ_* variable is one telemq reads, and the values make a valid config', () => {
  const env = compose.services.telemq!.environment ?? {};
  for (const name of Object.keys(env)) assert.ok(configEnvNames.includes(name), `${name} is read by broker/src/config.ts`);
  // the store and the cluster point at the other services by name
  assert.equal(new URL(env.TELEMQ_INFLUX_URL!).host, 'influxdb:8086');
  assert.equal(new URL(env.TELEMQ_INFLUX_URL!).pathname, `/${compose.services.influxdb!.environment!.INFLUXDB_DB}`);
  assert.equal(new URL(env.TELEMQ_INFLUX_URL!).username, compose.services.influxdb!.environment!.INFLUXDB_USER);
  assert.equal(new URL(env.TELEMQ_REDIS_URL!).host, 'redis:6379');
  // with the interpolations resolved as compose would, the config loads
  const resolved = Object.fromEntries(Object.entries(env).map(([k, v]) => [k, v.replace(/\$\{[^}]+\}/g, 'x-secret-for-the-check-only-32-bytes')]));
  const config = loadConfig(resolved);
  assert.equal(config.transport.mqttPort, 1883);
  assert.equal(config.transport.httpPort, 8080);
  assert.equal(config.redisUrl, 'redis://redis:6379');
});

test('Dockerfile: every COPY source exists in the build context; EXPOSE and CMD match the app', () => {
  const context = path.resolve(dockerDir, compose.services.telemq!.build!.context);
  assert.equal(context, root);
  assert.equal(path.resolve(context, compose.services.telemq!.build!.dockerfile), path.join(dockerDir, 'Dockerfile'));
  const copies = dockerfile.split('\n').filter((line) => /^COPY\s/.test(line) && !line.includes('--from='));
  assert.ok(copies.length >= 5);
  for (const line of copies) {
    const parts = line.trim().split(/\s+/).slice(1);
    for (const source of parts.slice(0, -1)) assert.ok(existsSync(path.join(context, source)), `COPY source ${source} exists`);
  }
  const exposed = /^EXPOSE\s+(.+)$/m.exec(dockerfile)![1]!.split(/\s+/).map(Number);
  assert.deepEqual(exposed, [1883, 8883, 8080]);
  const cmd = JSON.parse(/^CMD\s+(\[.+\])$/m.exec(dockerfile)![1]!) as string[];
  assert.deepEqual(cmd.slice(0, 1), ['node']);
  // broker/dist/main.js is what `tsc -b` makes of broker/src/main.ts (rootDir src, outDir dist)
  const brokerTsconfig = JSON.parse(readFileSync(path.join(root, 'broker/tsconfig.json'), 'utf8')) as { compilerOptions: { rootDir: string; outDir: string } };
  const source = cmd[1]!.replace(`broker/${brokerTsconfig.compilerOptions.outDir}/`, `broker/${brokerTsconfig.compilerOptions.rootDir}/`).replace(/\.js$/, '.ts');
  assert.equal(source, 'broker/src/main.ts');
  assert.ok(existsSync(path.join(root, source)));
  // the build stage runs the root build script, which is what produces broker/dist and console/dist
  const rootPackage = JSON.parse(readFileSync(path.join(root, 'package.json'), 'utf8')) as { scripts: Record<string, string> };
  assert.match(dockerfile, /RUN npm run build/);
  assert.match(rootPackage.scripts.build!, /tsc -b/);
  assert.ok(existsSync(path.join(dockerDir, 'Dockerfile.dockerignore')));
});
