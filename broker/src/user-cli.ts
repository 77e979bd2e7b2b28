// `npm run user -- add NAME --role console | remove NAME | list | passwd NAME`: manages the users
// file (scrypt hashes) that the broker re-reads when it changes. Like main.ts this is a process
// entry point: it reads the environment (TELEMQ_CONFIG, TELEMQ_DATA_DIR …) and sets the exit code.
// The password comes from stdin when it is piped, else from a prompt that does not echo; with
// --generate-secret a device secret of 256 random bits is generated, printed once and stored with
// the cheap hmac-sha256 scheme (see auth/passwords.ts). Changes are made under the file's lock, so
// concurrent runs never lose a user, and any failure to write exits non-zero.
import path from 'node:path';
import { createInterface } from 'node:readline';
import { usersFileName } from './auth/first-start.ts';
import { generateMachineSecret, isValidUserName, openPasswordStore } from './auth/passwords.ts';
import { loadConfig } from './config.ts';
import { AppError } from './errors.ts';

const usage = `usage: npm run user -- <command>
  add NAME --role ROLE     add a user (role: device, console, admin or a configured role)
    [--generate-secret]    a machine secret (256 random bits, printed once) instead of a password
  passwd NAME              set a new password
  remove NAME              remove a user
  list                     list users and roles
The password is read from stdin when piped (echo "$PW" | npm run user -- add bob --role console).`;

const minPasswordLength = 8;

async function readPassword(prompt: string): Promise<string> {
  const rl = createInterface({ input: process.stdin, output: process.stdout, terminal: process.stdin.isTTY === true });
  if (process.stdin.isTTY) {
    process.stdout.write(prompt);
    // mute the echo of the typed password
    (rl as unknown as { _writeToOutput: (s: string) => void })._writeToOutput = () => {};
  }
  const line = await new Promise<string>((resolve) => {
    rl.once('line', resolve);
    rl.once('close', () => resolve(''));
  });
  rl.close();
  if (process.stdin.isTTY) process.stdout.write('\n');
  return line.replace(/\r$/, '');
}

export async function runUserCli(argv: string[], env: Record<string, string | undefined>): Promise<number> {
  const config = loadConfig(env);
  const store = openPasswordStore(config.auth.usersFile ?? path.join(config.dataDir, usersFileName), config.auth.scryptCostLog2);
  const [command, name] = argv;
  const fail = (message: string) => {
    process.stderr.write(`${message}\n`);
    return 1;
  };
  switch (command) {
    case 'list':
      for (const user of store.list()) process.stdout.write(`${user.username}\t${user.role}\n`);
      return 0;
    case 'add':
    case 'passwd': {
      if (!name || !isValidUserName(name)) return fail(`${usage}\n\nuser name: 1-64 of A-Z a-z 0-9 _ . @ -`);
      const roleIndex = argv.indexOf('--role');
      const existing = store.list().find((u) => u.username === name);
      if (command === 'add' && existing) return fail(`user ${name} exists; use passwd to change the password`);
      if (command === 'passwd' && !existing) return fail(`no user ${name}`);
      const role = command === 'add' ? argv[roleIndex + 1] : existing?.role;
      if (!role || (command === 'add' && roleIndex < 0)) return fail(`${usage}\n\nadd needs --role`);
      if (!Object.hasOwn(config.auth.roles, role)) return fail(`unknown role ${role}; configured roles: ${Object.keys(config.auth.roles).join(', ')}`);
      const generate = command === 'add' && argv.includes('--generate-secret');
      const password = generate ? generateMachineSecret() : await readPassword(`password for ${name}: `);
      if (password.length < minPasswordLength) return fail(`the password must have at least ${minPasswordLength} characters`);
      // decided again under the lock: a concurrent run may have added or removed the user since
      if (!(await store.set(name, role, password, { machineSecret: generate, only: command === 'add' ? 'new' : 'existing' }))) {
        return fail(command === 'add' ? `user ${name} exists; use passwd to change the password` : `no user ${name}`);
      }
      process.stdout.write(`${command === 'add' ? 'added' : 'updated'} ${name} (${role})\n`);
      if (generate) process.stdout.write(`secret (shown once): ${password}\n`);
      return 0;
    }
    case 'remove':
      if (!name) return fail(usage);
      if (!(await store.remove(name))) return fail(`no user ${name}`);
      process.stdout.write(`removed ${name}\n`);
      return 0;
    default:
      return fail(usage);
  }
}

runUserCli(process.argv.slice(2), process.env).then(
  (code) => {
    process.exitCode = code;
  },
  (err: unknown) => {
    process.stderr.write(`telemq user: ${err instanceof AppError || err instanceof Error ? err.message : String(err)}\n`);
    process.exitCode = 1;
  },
);
