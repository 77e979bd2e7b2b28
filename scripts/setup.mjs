#!/usr/bin/env node
// Brings a fresh machine to the point where telemq starts (default) or its tests run (--services):
// npm dependencies from package-lock.json, and with --services the Debian packages the tests use.
// Plain Node with no dependencies, because it runs before `npm ci`.
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, statSync } from 'node:fs';

const root = new URL('..', import.meta.url).pathname;
const withServices = process.argv.includes('--services');

/** Debian package -> a command it provides */
const debianPackages = {
  mosquitto: '/usr/sbin/mosquitto',
  'mosquitto-clients': '/usr/bin/mosquitto_pub',
  'redis-server': '/usr/bin/redis-server',
  influxdb: '/usr/bin/influxd',
  chromium: '/usr/bin/chromium',
  openssl: '/usr/bin/openssl',
  'util-linux': '/usr/bin/setpriv',
};

function run(cmd, args, env = {}) {
  const result = spawnSync(cmd, args, { cwd: root, stdio: 'inherit', env: { ...process.env, ...env } });
  if (result.status !== 0) {
    console.error(`setup: ${cmd} ${args.join(' ')} failed (exit ${result.status ?? result.signal})`);
    process.exit(1);
  }
}

function npmInstallNeeded() {
  const marker = `${root}node_modules/.package-lock.json`;
  if (!existsSync(marker)) return true;
  return statSync(`${root}package-lock.json`).mtimeMs > statSync(marker).mtimeMs;
}

if (withServices) {
  const missing = Object.entries(debianPackages).filter(([, bin]) => !existsSync(bin)).map(([pkg]) => pkg);
  if (missing.length > 0) {
    if (process.getuid?.() !== 0) {
      console.error(`setup: the tests need these Debian packages: ${missing.join(' ')}; install them as root`);
      process.exit(1);
    }
    console.log(`setup: installing ${missing.join(' ')}`);
    run('apt-get', ['update', '-qq']);
    run('apt-get', ['install', '-y', '-qq', ...missing], { DEBIAN_FRONTEND: 'noninteractive' });
  }
}

if (npmInstallNeeded()) {
  console.log('setup: npm ci');
  run('npm', ['ci', '--no-audit', '--no-fund']);
}

try {
  execFileSync('node', ['-e', "require('better-sqlite3')"], { cwd: `${root}broker`, stdio: 'ignore' });
} catch {
  console.error('setup: better-sqlite3 did not load; rebuilding it');
  run('npm', ['rebuild', 'better-sqlite3']);
}
