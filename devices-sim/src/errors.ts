export type SimErrorCode = 'USAGE' | 'SCENARIO_INVALID' | 'UNREACHABLE' | 'REFUSED' | 'WORKER_FAILED';

/** A failure the user can act on: main prints its message on one line and exits non-zero, never a stack trace. */
export class SimError extends Error {
  readonly code: SimErrorCode;
  constructor(code: SimErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'SimError';
    this.code = code;
  }
}
