// Births for the watch tests: the worker tests' birth() with the Sparkplug timestamp and seq every birth carries.
import { birth as plainBirth, type Props } from '../worker/helpers.ts';

export function birth(device: string, metrics: Record<string, Props>, seq: number): unknown {
  const b = plainBirth(device, metrics) as { payload: Record<string, unknown> };
  b.payload.timestamp = String(Date.parse('2026-12-06T12:00:00Z') + seq * 1000);
  b.payload.seq = String(seq);
  return b;
}
