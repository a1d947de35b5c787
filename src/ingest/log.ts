// pino JSON logs for the ingestor. The last line of defence against leaking a secret: every serialized line
// passes through `scrub`, which replaces each known secret (the MQTT password, the database password, the
// client key passphrase) wherever it appears — in a message, an error's text or a stack — with "[redacted]".
// Callers still never log a secret on purpose.
import pino from 'pino';
import { processLoggerOptions } from '../log.ts';

export type Logger = pino.Logger;

/** Replaces every occurrence of each secret (raw, JSON-escaped and URL-encoded) by "[redacted]". */
export function secretScrubber(secrets: readonly (string | undefined)[]): (line: string) => string {
  const forms = new Set<string>();
  for (const s of secrets) {
    if (s === undefined || s.length < 1) continue;
    forms.add(s);
    forms.add(JSON.stringify(s).slice(1, -1));
    forms.add(encodeURIComponent(s));
  }
  const needles = [...forms].sort((a, b) => b.length - a.length);
  if (needles.length === 0) return (line) => line;
  return (line) => {
    let out = line;
    for (const n of needles) if (out.includes(n)) out = out.split(n).join('[redacted]');
    return out;
  };
}

export function createLogger(level: string, secrets: readonly (string | undefined)[], destination?: pino.DestinationStream): Logger {
  const scrub = secretScrubber(secrets);
  return pino(
    { ...processLoggerOptions('uns-meta-ingest', level), hooks: { streamWrite: scrub } },
    destination ?? pino.destination({ sync: true }),
  );
}
