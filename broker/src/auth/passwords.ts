// Users with passwords in a JSON file of hashes. Two schemes, recorded per user in the hash:
// - scrypt (node:crypto) for passwords people choose: each hash records its own cost, so old entries
//   keep verifying after the default changes. ~0.1 s of CPU each at N = 2^15, on the libuv pool.
// - hmac-sha256 for machine-generated device secrets of 256 random bits (`npm run user -- add NAME
//   --role device --generate-secret`): stretching a key only slows the guessing of low-entropy
//   secrets, and 2^256 guesses stay out of reach however fast each is, so one HMAC (about a
//   microsecond) is as safe and lets 10,000 devices re-verify in well under a second after a restart.
// Every change is made under a lock file (proper-lockfile) on a fresh read, then written atomically
// (temporary file, fsync, rename) with mode 0600, so concurrent `npm run user` runs never lose a
// user; a running broker re-reads the file when it changes on disk.
import { createHmac, randomBytes, scrypt, timingSafeEqual, type ScryptOptions } from 'node:crypto';
import { closeSync, existsSync, fsyncSync, mkdirSync, openSync, readFileSync, renameSync, statSync, writeSync } from 'node:fs';
import path from 'node:path';
import lockfile from 'proper-lockfile';
import type { Role } from '../contract/index.ts';

export interface UserRecord {
  role: Role;
  /** scrypt$<log2 N>$<r>$<p>$<salt b64>$<hash b64> or hmac-sha256$<salt b64>$<hash b64> */
  hash: string;
}

export interface UsersFile {
  users: Record<string, UserRecord>;
}

export interface PasswordStore {
  /** the user's current record (the file is re-read when it changed on disk) */
  find(username: string): UserRecord | undefined;
  verify(username: string, password: string): Promise<{ ok: true; role: Role } | { ok: false }>;
  list(): Array<{ username: string; role: Role }>;
  has(username: string): boolean;
  /**
   * Adds or changes a user; false when `only` says it must be new (or existing) and it is not, as
   * decided under the lock. `machineSecret`: a machine-generated secret, hashed with hmac-sha256.
   */
  set(username: string, role: Role, password: string, options?: SetOptions): Promise<boolean>;
  remove(username: string): Promise<boolean>;
  /** a scrypt hash of nothing, to spend the same time on unknown names as on known ones */
  dummyHash(): Promise<string>;
}

export interface SetOptions {
  machineSecret?: boolean;
  only?: 'new' | 'existing';
}

const keyBytes = 32;
const userNamePattern = /^[A-Za-z0-9_.@-]{1,64}$/;
/** a generated device secret: 32 random bytes, base64url */
export const machineSecretMinLength = 43;

export function isValidUserName(name: string): boolean {
  return userNamePattern.test(name);
}

export function generateMachineSecret(): string {
  return randomBytes(32).toString('base64url');
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

export function hashMachineSecret(secret: string): string {
  const salt = randomBytes(16);
  return ['hmac-sha256', salt.toString('base64'), createHmac('sha256', salt).update(secret).digest('base64')].join('$');
}

/** true for hashes that cost about a microsecond to check (no queue, no guessing limit needed) */
export function isCheapHash(encoded: string): boolean {
  return encoded.startsWith('hmac-sha256$');
}

function equalKeys(actual: Buffer, expectedB64: string): boolean {
  const expected = Buffer.from(expectedB64, 'base64');
  return actual.length === expected.length && timingSafeEqual(actual, expected);
}

/** The cheap scheme, synchronously; false for any other scheme. */
export function verifyMachineSecret(secret: string, encoded: string): boolean {
  const [scheme, salt, hash] = encoded.split('$');
  if (scheme !== 'hmac-sha256' || !salt || !hash) return false;
  return equalKeys(createHmac('sha256', Buffer.from(salt, 'base64')).update(secret).digest(), hash);
}

export async function verifyPassword(password: string, encoded: string): Promise<boolean> {
  if (isCheapHash(encoded)) return verifyMachineSecret(password, encoded);
  const [scheme, log2N, r, p, salt, hash] = encoded.split('$');
  if (scheme !== 'scrypt' || !log2N || !r || !p || !salt || !hash) return false;
  return equalKeys(await scryptAsync(password, Buffer.from(salt, 'base64'), scryptOptions(Number(log2N), Number(r), Number(p))), hash);
}

/** Writes `text` to a temporary file, flushes it to disk and renames it over `file`. */
function writeAtomically(file: string, text: string): void {
  const tmp = `${file}.${process.pid}.tmp`;
  const fd = openSync(tmp, 'w', 0o600);
  try {
    writeSync(fd, text);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  renameSync(tmp, file);
}

/** Opens (or starts) the users file. `log2N` is the scrypt cost for new hashes (15 by default). */
export function openPasswordStore(file: string, log2N: number): PasswordStore {
  let users: Record<string, UserRecord> = {};
  let loadedVersion = '';
  let dummy: Promise<string> | null = null;

  function reload(force = false): void {
    if (!existsSync(file)) {
      users = {};
      loadedVersion = '';
      return;
    }
    // a rename makes a new inode: together with mtime and size this sees every rewrite
    const stat = statSync(file);
    const version = `${stat.ino}:${stat.mtimeMs}:${stat.size}`;
    if (!force && version === loadedVersion) return;
    const parsed = JSON.parse(readFileSync(file, 'utf8')) as Partial<UsersFile>;
    users = Object.assign(Object.create(null) as Record<string, UserRecord>, parsed.users ?? {});
    loadedVersion = version;
  }

  /** Runs `change` on a fresh read of the file under its lock, and saves when it returns true. */
  async function update(change: (current: Record<string, UserRecord>) => boolean): Promise<boolean> {
    mkdirSync(path.dirname(file), { recursive: true, mode: 0o700 });
    const release = await lockfile.lock(file, { realpath: false, stale: 10_000, retries: { retries: 100, minTimeout: 10, maxTimeout: 200, randomize: true } });
    try {
      reload(true);
      if (!change(users)) return false;
      writeAtomically(file, JSON.stringify({ users } satisfies UsersFile, null, 2) + '\n');
      reload(true);
      return true;
    } finally {
      await release();
    }
  }

  reload();
  return {
    find(username) {
      reload();
      return Object.hasOwn(users, username) ? users[username] : undefined;
    },
    async verify(username, password) {
      const record = this.find(username);
      if (!record) {
        await verifyPassword(password, await this.dummyHash());
        return { ok: false };
      }
      return (await verifyPassword(password, record.hash)) ? { ok: true, role: record.role } : { ok: false };
    },
    dummyHash() {
      dummy ??= hashPassword('not a password', log2N);
      return dummy;
    },
    list() {
      reload();
      return Object.entries(users).map(([username, r]) => ({ username, role: r.role }));
    },
    has(username) {
      reload();
      return Object.hasOwn(users, username);
    },
    async set(username, role, password, options = {}) {
      if (!isValidUserName(username)) throw new Error(`invalid user name ${JSON.stringify(username)}: 1-64 of A-Z a-z 0-9 _ . @ -`);
      if (options.machineSecret && password.length < machineSecretMinLength) throw new Error(`a machine secret has at least ${machineSecretMinLength} characters`);
      const hash = options.machineSecret ? hashMachineSecret(password) : await hashPassword(password, log2N);
      return update((current) => {
        const exists = Object.hasOwn(current, username);
        if ((options.only === 'new' && exists) || (options.only === 'existing' && !exists)) return false;
        current[username] = { role, hash };
        return true;
      });
    },
    remove(username) {
      return update((current) => {
        if (!Object.hasOwn(current, username)) return false;
        delete current[username];
        return true;
      });
    },
  };
}
