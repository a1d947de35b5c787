// The one error type the Sparkplug decoder throws for bad input.

export interface DecodeErrorOptions {
  /** Byte offset in the (inflated) payload where the problem was found. */
  offset?: number;
  /** Where the problem is, outermost first (e.g. `metric #3 "Pump/Speed" (alias 12)`, `properties`). */
  context?: readonly string[];
  cause?: unknown;
}

/**
 * A payload (or a value inside one) that cannot be decoded. The message names where and what,
 * e.g. `metric #3 "Pump/Speed" (alias 12): properties: values[1] "Quality": truncated varint at offset 57`.
 * Callers dead-letter the raw bytes with `message` as the reason; nothing else is thrown for bad input.
 */
export class DecodeError extends Error {
  override readonly name = 'DecodeError';
  /** What is wrong, without the location. */
  readonly reason: string;
  /** Where it is, outermost first. */
  readonly context: readonly string[];
  readonly offset: number | undefined;

  constructor(reason: string, options: DecodeErrorOptions = {}) {
    const context = options.context ?? [];
    const at = options.offset === undefined ? '' : ` at offset ${options.offset}`;
    super([...context, reason + at].join(': '), options.cause === undefined ? undefined : { cause: options.cause });
    this.reason = reason;
    this.context = context;
    this.offset = options.offset;
  }

  /** The same error seen from one level further out: `within('properties')`. */
  within(context: string): DecodeError {
    return new DecodeError(this.reason, {
      offset: this.offset,
      context: [context, ...this.context],
      cause: this.cause,
    });
  }
}

/**
 * Any error thrown while decoding, as a DecodeError. Errors that are not ours (a RangeError from a
 * runaway recursion, a bug) keep their message as the reason so the dead letter still says something.
 */
export function asDecodeError(err: unknown): DecodeError {
  if (err instanceof DecodeError) return err;
  if (err instanceof RangeError && /call stack/i.test(err.message)) {
    return new DecodeError('payload is nested too deeply to decode', { cause: err });
  }
  const reason = err instanceof Error && err.message ? err.message : String(err);
  return new DecodeError(reason || 'unknown decoding failure', { cause: err });
}
