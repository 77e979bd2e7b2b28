#!/usr/bin/env node
// `npm run bench`: the side-by-side benchmark of telemq against Debian's mosquitto (bench/compare.ts).
// Arguments pass through: npm run bench -- --runs 5 --transports ws
import { spawnSync } from 'node:child_process';
import path from 'node:path';

const root = path.resolve(new URL('..', import.meta.url).pathname);
const result = spawnSync(process.execPath, ['--conditions=source', '--import', 'tsx', path.join(root, 'bench/compare.ts'), ...process.argv.slice(2)], { cwd: root, stdio: 'inherit' });
process.exit(result.status ?? 1);
