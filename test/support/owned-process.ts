// Processes a test starts end with it. setpriv (util-linux) asks the kernel to SIGKILL the child
// when the test process dies, so a test file the runner kills on timeout, which runs no cleanup,
// leaves no broker, server or client behind. setpriv execs the command: pid and signals are its own.
import { spawn, type ChildProcess, type SpawnOptions } from 'node:child_process';

export function spawnOwned(command: string, args: readonly string[], options: SpawnOptions): ChildProcess {
  return spawn('setpriv', ['--pdeathsig', 'KILL', '--', command, ...args], options);
}
