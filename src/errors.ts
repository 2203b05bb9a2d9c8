/**
 * One error base class for the whole project. `code` exists where a caller branches on it
 * (the HTTP layer maps codes to statuses); `cause` keeps the original error for the logs.
 */
export type ErrorCode =
  | 'config'
  | 'invalid_input'
  | 'unauthorized'
  | 'payload_too_large'
  | 'store_unavailable'
  | 'upstream_unavailable'
  | 'internal';

export class NetwardenError extends Error {
  readonly code: ErrorCode;

  constructor(message: string, options: { code?: ErrorCode; cause?: unknown } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = new.target.name;
    this.code = options.code ?? 'internal';
  }
}

/** The configuration is unusable; the message says which variable and how to fix it. */
export class ConfigError extends NetwardenError {
  constructor(message: string, cause?: unknown) {
    super(message, { code: 'config', cause });
  }
}

/** Untrusted input failed validation; `path` names the offending field (`Records[2].eventTime`). */
export class InputError extends NetwardenError {
  readonly path: string | null;

  constructor(message: string, path: string | null = null, cause?: unknown) {
    super(path ? `${path}: ${message}` : message, { code: 'invalid_input', cause });
    this.path = path;
  }
}

export class UnauthorizedError extends NetwardenError {
  constructor(message: string) {
    super(message, { code: 'unauthorized' });
  }
}

export class PayloadTooLargeError extends NetwardenError {
  constructor(limitBytes: number) {
    super(`body exceeds the limit of ${limitBytes} bytes (INGEST_MAX_BYTES)`, { code: 'payload_too_large' });
  }
}

/** Redis could not be reached or did not answer in time; the caller should retry later. */
export class StoreUnavailableError extends NetwardenError {
  constructor(message: string, cause?: unknown) {
    super(message, { code: 'store_unavailable', cause });
  }
}

/** A service netwarden depends on for this request (SNS, say) failed; the sender should retry. */
export class UpstreamUnavailableError extends NetwardenError {
  constructor(message: string, cause?: unknown) {
    super(message, { code: 'upstream_unavailable', cause });
  }
}
