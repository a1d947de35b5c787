// Configuration from the environment, the subscriptions it yields, the reconnect backoff, the secret scrubber
// the rebirth throttle and the database error classes: the parts of the ingestor that need no broker.
import { describe, expect, it, vi } from 'vitest';
import { loadIngestConfig as loadConfig } from '../../src/runtime/config/ingest.ts';
import { ConfigError } from '../../src/runtime/env.ts';
import { createLogger as createNamedLogger, secretScrubber } from '../../src/runtime/log.ts';
import { classifyPgError, sqlstateOf } from '../../src/ingest/pg-errors.ts';
import { createMetrics } from '../../src/ingest/metrics.ts';
import { birthSubscriptions, clientOptions, reconnectDelay } from '../../src/ingest/mqtt.ts';
import { createRebirthRequester, rebirthPayload } from '../../src/ingest/rebirth.ts';
import { decodePayload } from '../../src/sparkplug/decode.ts';

/** The ingestor's logger as tests build it: these secrets scrubbed, lines to `destination`. */
function createLogger(level: string, secrets: (string | undefined)[], destination?: { write(s: string): void }) {
  return createNamedLogger('uns-meta-ingest', { level, env: {}, secrets, destination });
}

describe('loadConfig', () => {
  it('has documented defaults', () => {
    const c = loadConfig({ XDG_STATE_HOME: '/home/x/.local/state' });
    expect(c.mqtt).toMatchObject({ url: 'mqtt://localhost:1883', groupId: '+', sharedGroup: undefined, protocolVersion: 5, keepaliveSeconds: 30, reconnectMaxMs: 30_000 });
    expect(c).toMatchObject({ metricsPort: 9464, queueLimit: 1000, concurrency: 4, chunkMetrics: 20_000, rebirth: { enabled: false, intervalMs: 60_000 } });
    expect(c.spoolDir).toBe('/home/x/.local/state/uns-meta/ingest-spool');
  });

  it('subscribes to the group births, under $share/<name>/ when scaling out', () => {
    expect(birthSubscriptions(loadConfig({ SPARKPLUG_GROUP_ID: 'Secil' }).mqtt)).toEqual(['spBv1.0/Secil/NBIRTH/#', 'spBv1.0/Secil/DBIRTH/#']);
    expect(birthSubscriptions(loadConfig({ MQTT_SHARED_GROUP: 'ingest' }).mqtt)).toEqual(['$share/ingest/spBv1.0/+/NBIRTH/#', '$share/ingest/spBv1.0/+/DBIRTH/#']);
  });

  it('asks for TLS 1.3 and certificate verification on mqtts:// only', () => {
    expect(clientOptions(loadConfig({ MQTT_URL: 'mqtts://broker:8883' }).mqtt)).toMatchObject({ minVersion: 'TLSv1.3', rejectUnauthorized: true, clean: true, keepalive: 30 });
    expect(clientOptions(loadConfig({ MQTT_URL: 'mqtt://broker:1883' }).mqtt)).not.toHaveProperty('minVersion');
  });

  it('passes MQTT_USERNAME and MQTT_PASSWORD on only when set, never queues QoS 0 offline, and leaves reconnecting to the ingestor', () => {
    expect(clientOptions(loadConfig({ MQTT_USERNAME: 'ingest', MQTT_PASSWORD: 's3cret' }).mqtt)).toMatchObject({ username: 'ingest', password: 's3cret' });
    const without = clientOptions(loadConfig({}).mqtt);
    expect(without).not.toHaveProperty('username');
    expect(without).not.toHaveProperty('password');
    expect(without).toMatchObject({ queueQoSZero: false, clean: true, reconnectPeriod: 0 });
  });

  it('names the variable of a certificate or key file it cannot read', () => {
    const missing = '/nonexistent/uns-meta-test.pem';
    const base = { MQTT_URL: 'mqtts://broker:8883' };
    expect(() => clientOptions(loadConfig({ ...base, MQTT_CA_FILE: missing }).mqtt)).toThrow(`MQTT_CA_FILE: cannot read ${missing}: ENOENT`);
    expect(() => clientOptions(loadConfig({ ...base, MQTT_CERT_FILE: missing, MQTT_KEY_FILE: '/etc/hostname' }).mqtt)).toThrow(`MQTT_CERT_FILE: cannot read ${missing}: ENOENT`);
    expect(() => clientOptions(loadConfig({ ...base, MQTT_CERT_FILE: '/etc/hostname', MQTT_KEY_FILE: missing }).mqtt)).toThrow(`MQTT_KEY_FILE: cannot read ${missing}: ENOENT`);
  });

  it('names the variable, the value\'s problem and the expected form in every error, and never echoes a password', () => {
    const cases: [Record<string, string>, RegExp][] = [
      [{ MQTT_URL: 'http://x' }, /^MQTT_URL: "http:\/\/x" is not a URL starting with mqtt:\/\/ or mqtts:\/\/; expected mqtt:\/\/host:port or mqtts:\/\/host:port/],
      [{ MQTT_URL: 'mqtt://user:hunter2@broker', MQTT_PASSWORD: 'hunter2' }, /^MQTT_URL: "mqtt:\/\/user:\*\*\*@broker" carries credentials \(set MQTT_USERNAME and MQTT_PASSWORD instead\)/],
      [{ SPARKPLUG_GROUP_ID: 'a/b' }, /^SPARKPLUG_GROUP_ID: "a\/b" contains \/, \+ or #; expected \+ or a Sparkplug group id/],
      [{ MQTT_SHARED_GROUP: 'a#' }, /^MQTT_SHARED_GROUP: "a#" contains \/, \+ or #; expected a name without/],
      [{ MQTT_CERT_FILE: '/c.pem' }, /^MQTT_KEY_FILE: is not set but its pair is \(MQTT_CERT_FILE and MQTT_KEY_FILE go together\); expected both set/],
      [{ INGEST_QUEUE_LIMIT: '0' }, /^INGEST_QUEUE_LIMIT: "0" is below 1; expected an integer >= 1$/],
      [{ MQTT_RECONNECT_MAX_MS: '60000' }, /^MQTT_RECONNECT_MAX_MS: "60000" is above 30000; expected an integer 100\.\.30000$/],
      [{ INGEST_REBIRTH_REQUESTS: 'maybe' }, /^INGEST_REBIRTH_REQUESTS: "maybe" is not a boolean; expected true or false/],
      [{ LOG_LEVEL: 'loud' }, /^LOG_LEVEL: "loud" is not a valid choice; expected one of fatal, error, warn, info, debug, trace, silent$/],
    ];
    for (const [env, message] of cases) {
      let error: unknown;
      try {
        loadConfig(env);
      } catch (err) {
        error = err;
      }
      expect(error).toBeInstanceOf(ConfigError);
      expect((error as Error).message).toMatch(message);
      expect((error as Error).message).not.toContain('hunter2');
    }
  });
});

describe('reconnectDelay', () => {
  it('doubles from 500 ms with ±20 % jitter and never exceeds the cap', () => {
    for (let attempt = 1; attempt < 40; attempt++) {
      const base = Math.min(30_000, 500 * 2 ** (attempt - 1));
      for (let sample = 0; sample < 200; sample++) {
        const d = reconnectDelay(attempt, 30_000);
        expect(d).toBeLessThanOrEqual(Math.min(30_000, Math.round(base * 1.2)));
        expect(d).toBeGreaterThanOrEqual(Math.round(base * 0.8));
      }
    }
    expect(reconnectDelay(3, 1_000)).toBeLessThanOrEqual(1_000); // the cap given, not 30 s
  });
});

describe('secret scrubbing', () => {
  it('redacts a secret wherever a log line carries it: message, error text, JSON-escaped or URL-encoded', () => {
    const lines: string[] = [];
    const secret = 'p@ss"w/rd\\';
    const log = createLogger('info', [secret, undefined], { write: (s: string) => void lines.push(s) });
    log.error({ err: new Error(`login failed for postgres://u:${encodeURIComponent(secret)}@h/db`) }, `oops ${secret}`);
    log.info({ detail: { nested: secret } }, 'nested');
    expect(lines).toHaveLength(2);
    for (const l of lines) {
      expect(l).not.toContain(secret);
      expect(l).not.toContain(JSON.stringify(secret).slice(1, -1));
      expect(l).not.toContain(encodeURIComponent(secret));
      expect(l).toContain('[redacted]');
      expect(() => JSON.parse(l) as unknown).not.toThrow();
    }
    expect(secretScrubber([])('unchanged')).toBe('unchanged');
  });
});

describe('rebirth requests', () => {
  it('publish NCMD Node Control/Rebirth = true at most once per edge node per interval, and count the rest', async () => {
    const metrics = createMetrics();
    const sent: [string, Buffer][] = [];
    const lines: string[] = [];
    const log = createLogger('debug', [], { write: (s: string) => void lines.push(s) });
    const r = createRebirthRequester({ enabled: true, intervalMs: 60_000 }, (topic, payload) => Promise.resolve(void sent.push([topic, payload])), metrics);
    r.request('G', 'E1', 'cause one', log);
    r.request('G', 'E1', 'cause two', log);
    r.request('G', 'E2', 'cause three', log);
    expect(sent.map(([t]) => t)).toEqual(['spBv1.0/G/NCMD/E1', 'spBv1.0/G/NCMD/E2']);
    const payload = decodePayload(sent[0]?.[1] as Buffer);
    expect(payload.metrics).toEqual([expect.objectContaining({ name: 'Node Control/Rebirth', datatype: 11, booleanValue: true })]);
    expect(payload.seq).toBeUndefined();
    expect(payload.metrics?.[0]?.alias).toBeUndefined();
    expect((await metrics.rebirthsRequested.get()).values[0]?.value).toBe(2);
    expect((await metrics.rebirthsSuppressed.get()).values[0]?.value).toBe(1);
    expect(lines.filter((l) => l.includes('"event":"rebirth.requested"')).map((l) => (JSON.parse(l) as { cause: string }).cause)).toEqual(['cause one', 'cause three']);
  });

  it('go out again once the interval is over, its end included, and log a suppressed one with its cause', async () => {
    vi.useFakeTimers({ toFake: ['Date'] });
    try {
      const t0 = Date.UTC(2026, 11, 7, 12, 0, 0);
      vi.setSystemTime(t0);
      const metrics = createMetrics();
      const sent: string[] = [];
      const lines: string[] = [];
      const log = createLogger('debug', [], { write: (s: string) => void lines.push(s) });
      const r = createRebirthRequester({ enabled: true, intervalMs: 1000 }, (topic) => Promise.resolve(void sent.push(topic)), metrics);
      r.request('G', 'E1', 'unknown alias 7', log);
      vi.setSystemTime(t0 + 999);
      r.request('G', 'E1', 'unknown alias 8', log); // inside the interval: suppressed
      vi.setSystemTime(t0 + 1000);
      r.request('G', 'E1', 'unknown alias 10', log); // the interval is over
      expect(sent).toEqual(['spBv1.0/G/NCMD/E1', 'spBv1.0/G/NCMD/E1']);
      expect((await metrics.rebirthsSuppressed.get()).values[0]?.value).toBe(1);
      const suppressed = lines.map((l) => JSON.parse(l) as Record<string, unknown>).filter((l) => l.event === 'rebirth.suppressed');
      expect(suppressed).toEqual([expect.objectContaining({
        edgeNode: 'G/E1', cause: 'unknown alias 8', msg: 'rebirth of G/E1 not requested (one per 1 s): unknown alias 8',
      })]);
    } finally {
      vi.useRealTimers();
    }
  });

  it('are off by default', () => {
    const sent: string[] = [];
    const r = createRebirthRequester(loadConfig({}).rebirth, (topic) => Promise.resolve(void sent.push(topic)), createMetrics());
    r.request('G', 'E', 'cause', createLogger('silent', []));
    expect(sent).toEqual([]);
    expect(decodePayload(rebirthPayload(5)).timestamp).toBe('5');
  });
});

describe('classifyPgError', () => {
  it('retries serialization failures and deadlocks, dead-letters bad births, spools for an unavailable database', () => {
    const pgError = (code: string) => Object.assign(new Error('x'), { code });
    expect(['40001', '40P01', '55P03'].map((c) => classifyPgError(pgError(c)))).toEqual(['retry', 'retry', 'retry']);
    expect(['U0001', 'U0004', '22P02', '23505', '54000'].map((c) => classifyPgError(pgError(c)))).toEqual(Array(5).fill('rejected'));
    expect(['57P01', '28P01', '42501', '42883', '08006'].map((c) => classifyPgError(pgError(c)))).toEqual(Array(5).fill('unavailable'));
    expect(classifyPgError(pgError('ECONNREFUSED'))).toBe('unavailable');
    expect(classifyPgError(new Error('Connection terminated unexpectedly'))).toBe('unavailable');
    expect(classifyPgError(new Error('timeout exceeded when trying to connect'))).toBe('unavailable');
    expect(classifyPgError(new TypeError("Cannot read properties of undefined (reading 'x')"))).toBe('internal');
    // every address of the host refused: pg rejects with an AggregateError whose own message is empty
    expect(classifyPgError(new AggregateError([pgError('ECONNREFUSED'), pgError('ECONNREFUSED')], ''))).toBe('unavailable');
    // a SQLSTATE is five characters exactly: an errno that starts or ends like one is not one
    for (const code of ['ECONNREFUSED', 'EAI_AGAIN', '40001X', 'X40001']) expect(sqlstateOf(pgError(code))).toBeUndefined();
    expect(sqlstateOf(pgError('23505'))).toBe('23505');
  });
});
