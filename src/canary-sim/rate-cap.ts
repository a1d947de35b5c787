// The plant's request-rate rule: at most N requests in ANY one-second window (not per calendar second).
// Counting is exact: every arrival time is kept while it is inside the trailing window, so the count for the
// window ending at an arrival t is the number of arrivals in (t - 1000 ms, t]. The largest count over all
// arrivals is the largest count over every possible one-second window (a window's count can only grow until
// its right edge reaches an arrival), which is what `max` reports.

export const WINDOW_MS = 1000;

/** Counts events in the trailing window (t - windowMs, t] and remembers the largest count ever seen. */
export class SlidingWindowCounter {
  readonly windowMs: number;
  #times: number[] = [];
  #head = 0;
  #max = 0;

  constructor(windowMs = WINDOW_MS) {
    this.windowMs = windowMs;
  }

  #evict(t: number): void {
    const times = this.#times;
    while (this.#head < times.length && (times[this.#head] as number) <= t - this.windowMs) this.#head++;
    if (this.#head > 1024 && this.#head * 2 > times.length) {
      this.#times = times.slice(this.#head);
      this.#head = 0;
    }
  }

  /** Events in (t - windowMs, t], not counting one at t that has not been added. `t` must never decrease. */
  countAt(t: number): number {
    this.#evict(t);
    return this.#times.length - this.#head;
  }

  /** Records an event at `t` (never earlier than the previous one) and returns the count in its window. */
  add(t: number): number {
    this.#evict(t);
    this.#times.push(t);
    const count = this.#times.length - this.#head;
    if (count > this.#max) this.#max = count;
    return count;
  }

  /** The largest number of events seen in any one window. */
  get max(): number {
    return this.#max;
  }
}

export interface RateCapStats {
  limit: number;
  enforced: boolean;
  windowMs: number;
  /** Largest number of requests received (accepted or not) in any one-second window. */
  maxReceivedInAnyWindow: number;
  /** Largest number of requests accepted (not answered 429 by the cap) in any one-second window. */
  maxAcceptedInAnyWindow: number;
  /** Requests answered HTTP 429 because of the cap. */
  rejected: number;
}

/**
 * Counts every request received and, when enforced, refuses those that would make the number ACCEPTED in the
 * trailing second exceed the limit. Refused requests still count as received.
 */
export class RateCap {
  readonly limit: number;
  readonly enforced: boolean;
  #received = new SlidingWindowCounter();
  #accepted = new SlidingWindowCounter();
  #rejected = 0;

  constructor(limit: number, enforced: boolean) {
    this.limit = limit;
    this.enforced = enforced;
  }

  /** Records an arrival at monotonic time `t` (ms); returns whether the request may be served. */
  arrive(t: number): boolean {
    this.#received.add(t);
    if (this.enforced && this.#accepted.countAt(t) >= this.limit) {
      this.#rejected++;
      return false;
    }
    this.#accepted.add(t);
    return true;
  }

  stats(): RateCapStats {
    return {
      limit: this.limit,
      enforced: this.enforced,
      windowMs: WINDOW_MS,
      maxReceivedInAnyWindow: this.#received.max,
      maxAcceptedInAnyWindow: this.#accepted.max,
      rejected: this.#rejected,
    };
  }
}
