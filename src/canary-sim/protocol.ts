// The Canary Write API surface the simulator serves: method names and the response envelope.
// Every logical outcome is HTTP 200 with `{statusCode, errors, ...result}`.

export const API_METHODS = [
  'getSessionToken',
  'storeData',
  'keepAlive',
  'revokeSessionToken',
  'updateSettings',
  'getDatasets',
  'version',
] as const;

export type ApiMethod = (typeof API_METHODS)[number];

/** Methods that take a `sessionToken`. */
export const SESSION_METHODS: readonly ApiMethod[] = ['storeData', 'keepAlive', 'revokeSessionToken', 'updateSettings'];

/** The canonical method name for a name in any casing, or `undefined` when Canary has no such method. */
export function canonicalMethod(name: string): ApiMethod | undefined {
  const lower = name.toLowerCase();
  return API_METHODS.find((m) => m.toLowerCase() === lower);
}

/**
 * `Good`: no errors. `Errors`: some items failed (see `errors`); the others were stored.
 * `BadSessionToken`: unknown, expired or revoked token; acquire a new session and resend.
 * `Error`: the request as a whole was refused (missing or malformed fields, bad API token) and nothing was stored.
 * `Error` is the simulator's choice: Canary's reference does not name a code for malformed requests.
 */
export type StatusCode = 'Good' | 'Errors' | 'BadSessionToken' | 'Error';

export interface Envelope {
  statusCode: StatusCode;
  errors: string[];
  [result: string]: unknown;
}

export function good(result: Record<string, unknown> = {}): Envelope {
  return { statusCode: 'Good', errors: [], ...result };
}

export function failed(error: string): Envelope {
  return { statusCode: 'Error', errors: [error] };
}

export function badSessionToken(): Envelope {
  return {
    statusCode: 'BadSessionToken',
    errors: [
      'No session token was created or the session token has expired. Default session expiration happens after 1 minute of inactivity.',
    ],
  };
}
