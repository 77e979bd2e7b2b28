/** Stable codes for failures that stop start-up or an operation; per-message failures are values, not errors. */
export type ErrorCode = 'CONFIG_INVALID' | 'LISTEN_FAILED' | 'STORE_UNAVAILABLE' | 'SECRET_INIT_FAILED' | 'RULE_INVALID' | 'AEDES_UNSUPPORTED';

export class AppError extends Error {
  readonly code: ErrorCode;

  constructor(code: ErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'AppError';
    this.code = code;
  }
}
