// The one log format of every uns-meta process (docs/deployment.md, "Logs"): pino JSON lines with `level`
// (number), `time` (ISO 8601, UTC), `pid`, `name` (the process) and `msg`. The ingestor builds on it (src/ingest/log.ts).
import pino from 'pino';

export function processLoggerOptions(name: string, level: string): pino.LoggerOptions {
  return { name, level, base: { pid: process.pid }, timestamp: pino.stdTimeFunctions.isoTime };
}

export function createProcessLogger(name: string, level: string, options: pino.LoggerOptions = {}, destination?: pino.DestinationStream): pino.Logger {
  const merged = { ...processLoggerOptions(name, level), ...options };
  return destination === undefined ? pino(merged) : pino(merged, destination);
}
