// Failures of a Canary call, classified for the retry policy and the dead-letter decision.

/** Worth retrying: transport errors, timeouts, HTTP 5xx and 429. */
export class TransientCanaryError extends Error {
  readonly httpStatus: number | undefined;
  constructor(message: string, httpStatus?: number) {
    super(message);
    this.name = 'TransientCanaryError';
    this.httpStatus = httpStatus;
  }
}

/** Retrying cannot help: Canary refused the request (statusCode Error, HTTP 4xx other than 429). */
export class PermanentCanaryError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'PermanentCanaryError';
  }
}

/** The session token was refused (expired, revoked, unknown). */
export class BadSessionTokenError extends Error {
  constructor(method: string) {
    super(`Canary answered BadSessionToken to ${method}`);
    this.name = 'BadSessionTokenError';
  }
}
