// Retry, backoff, circuit breaker and per-operation timeout around every Canary call (cockatiel).
//   operation timeout (60 s) → retry (6 attempts, exponential backoff 0.2 s doubling, full jitter)
//   → circuit breaker (opens after 20 consecutive failures OR a failure ratio ≥ 2 % over 1 minute; holds 60 s;
//     then one half-open probe) → one attempt (which takes a rate slot and has its own 10 s timeout).
import {
  BrokenCircuitError,
  CircuitState,
  ConsecutiveBreaker,
  ExponentialBackoff,
  SamplingBreaker,
  TimeoutStrategy,
  circuitBreaker,
  fullJitterGenerator,
  handleType,
  retry,
  timeout,
  wrap,
  type IBreaker,
} from 'cockatiel';
import type { WorkerConfig } from '../runtime/config/worker.ts';
import { BadSessionTokenError, TransientCanaryError } from './canary-errors.ts';

/** Opens when any of its breakers would open (cockatiel has no built-in "or"). */
class EitherBreaker implements IBreaker {
  private readonly breakers: IBreaker[];
  constructor(...breakers: IBreaker[]) {
    this.breakers = breakers;
  }
  get state(): unknown {
    return this.breakers.map((b) => b.state);
  }
  set state(value: unknown) {
    if (Array.isArray(value)) this.breakers.forEach((b, i) => (b.state = (value as unknown[])[i]));
  }
  success(state: CircuitState): void {
    for (const b of this.breakers) b.success(state);
  }
  failure(state: CircuitState): boolean {
    let open = false;
    for (const b of this.breakers) open = b.failure(state) || open;
    return open;
  }
}

const RATIO_EPSILON = 1e-9;

export const circuitStateValue: Record<CircuitState, number> = {
  [CircuitState.Closed]: 0,
  [CircuitState.HalfOpen]: 1,
  [CircuitState.Open]: 2,
  [CircuitState.Isolated]: 3,
};

export interface ResilienceHooks {
  onRetry(): void;
  onCircuitState(state: CircuitState): void;
}

export function canaryPolicies(config: WorkerConfig, hooks: ResilienceHooks) {
  const failures = handleType(TransientCanaryError).orType(BadSessionTokenError);
  const breaker = circuitBreaker(failures, {
    halfOpenAfter: config.breakerHalfOpenAfterMs,
    breaker: new EitherBreaker(
      new ConsecutiveBreaker(config.breakerConsecutive),
      new SamplingBreaker({
        // cockatiel opens when failures > threshold × calls; the rule is "≥ ratio", hence the tiny allowance
        threshold: config.breakerFailureRatio - RATIO_EPSILON,
        duration: config.breakerWindowMs,
        minimumRps: config.breakerMinimumRps,
      }),
    ),
  });
  breaker.onStateChange((state) => hooks.onCircuitState(state));
  const retries = retry(failures, {
    maxAttempts: config.retryAttempts - 1,
    backoff: new ExponentialBackoff({
      generator: fullJitterGenerator,
      initialDelay: config.retryInitialDelayMs,
      maxDelay: config.retryMaxDelayMs,
    }),
  });
  retries.onRetry(() => hooks.onRetry());
  const operation = timeout(config.operationTimeoutMs, TimeoutStrategy.Aggressive);
  return { breaker, policy: wrap(operation, retries, breaker) };
}

export { BrokenCircuitError, CircuitState };
