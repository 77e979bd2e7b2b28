// Users with passwords in a JSON file of scrypt hashes (node:crypto's scrypt; each hash records its
// own cost so old entries keep verifying after the default changes). The file is written atomically
// with mode 0600 and re-read when it changes on disk, so `npm run user` works on a running broker.
import { randomBytes, scrypt, timingSafeEqual, type ScryptOptions } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readFileSync, renameSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { Role } from '../contract/index.ts';

export interface UserRecord {
  role: Role;
  /** scrypt$<log2 N>$<r>$<p>$<salt b64>$<hash b64> */
  hash: string;
}

export interface UsersFile {
  users: Record<string, UserRecord>;
}

export interface PasswordStore {
  verify(username: string, password: string): Promise<{ ok: true; role: Role } | { ok: false }>;
  list(): Array<{ username: string; role: Role }>;
  has(username: string): boolean;
  set(username: string, role: Role, password: string): Promise<void>;
  remove(username: string): boolean;
}

const keyBytes = 32;
const userNamePattern = /^[A-Za-z0-9_.@-]{1,64}$/;

export function isValidUserName(name: string): boolean {
  return userNamePattern.test(name);
}

function scryptAsync(password: string, salt: Buffer, options: ScryptOptions): Promise<Buffer> {
  return new Promise((resolve, reject) => scrypt(password, salt, keyBytes, options, (err, key) => (err ? reject(err) : resolve(key))));
}

function scryptOptions(log2N: number, r: number, p: number): ScryptOptions {
  const N = 2 ** log2N;
  return { N, r, p, maxmem: 256 * N * r + 1024 * 1024 };
}

export async function hashPassword(password: string, log2N: number): Promise<string> {
  const salt = randomBytes(16);
  const key = await scryptAsync(password, salt, scryptOptions(log2N, 8, 1));
  return ['scrypt', log2N, 8, 1, salt.toString('base64'), key.toString('base64')].join('$');
}

export async function verifyPassword(password: string, encoded: string): Promise<boolean> {
  const [scheme, log2N, r, p, salt, hash] = encoded.split('$');
  if (scheme !== 'scrypt' || !log2N || !r || !p || !salt || !hash) return false;
  const expected = Buffer.from(hash, 'base64');
  const actual = await scryptAsync(password, Buffer.from(salt, 'base64'), scryptOptions(Number(log2N), Number(r), Number(p)));
  return actual.length === expected.length && timingSafeEqual(actual, expected);
}

/** Opens (or starts) the users file. `log2N` is the scrypt cost for new hashes (15 by default). */
export function openPasswordStore(file: string, log2N: number): PasswordStore {
  let users: Record<string, UserRecord> = {};
  let loadedMtimeMs = -1;
  // A hash to spend the same time on unknown user names as on known ones.
  let dummyHash: Promise<string> | null = null;

  function reload(): void {
    if (!existsSync(file)) {
      users = {};
      loadedMtimeMs = -1;
      return;
    }
    const mtimeMs = statSync(file).mtimeMs;
    if (mtimeMs === loadedMtimeMs) return;
    const parsed = JSON.parse(readFileSync(file, 'utf8')) as Partial<UsersFile>;
    users = Object.assign(Object.create(null) as Record<string, UserRecord>, parsed.users ?? {});
    loadedMtimeMs = mtimeMs;
  }

  function save(): void {
    mkdirSync(path.dirname(file), { recursive: true, mode: 0o700 });
    const tmp = `${file}.${process.pid}.tmp`;
    writeFileSync(tmp, JSON.stringify({ users } satisfies UsersFile, null, 2) + '\n', { mode: 0o600 });
    chmodSync(tmp, 0o600);
    renameSync(tmp, file);
    loadedMtimeMs = statSync(file).mtimeMs;
  }

  reload();
  return {
    async verify(username, password) {
      reload();
      const record = Object.hasOwn(users, username) ? users[username] : undefined;
      if (!record) {
        dummyHash ??= hashPassword('not a password', log2N);
        await verifyPassword(password, await dummyHash);
        return { ok: false };
      }
      return (await verifyPassword(password, record.hash)) ? { ok: true, role: record.role } : { ok: false };
    },
    list() {
      reload();
      return Object.entries(users).map(([username, r]) => ({ username, role: r.role }));
    },
    has(username) {
      reload();
      return Object.hasOwn(users, username);
    },
    async set(username, role, password) {
      if (!isValidUserName(username)) throw new Error(`invalid user name ${JSON.stringify(username)}: 1-64 of A-Z a-z 0-9 _ . @ -`);
      const hash = await hashPassword(password, log2N);
      reload();
      users[username] = { role, hash };
      save();
    },
    remove(username) {
      reload();
      if (!Object.hasOwn(users, username)) return false;
      delete users[username];
      save();
      return true;
    },
  };
}
