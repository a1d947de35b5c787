// The ingestor's Prometheus metrics (prom-client, one registry per ingestor so tests can run several).
import client from 'prom-client';

export interface IngestMetrics {
  registry: client.Registry;
  birthsReceived: client.Counter<'type'>;
  birthsIngested: client.Counter;
  birthsUnchanged: client.Counter;
  birthsFailed: client.Counter<'reason'>;
  deadLettered: client.Counter<'reason'>;
  metricsParsed: client.Counter;
  propertiesParsed: client.Counter;
  decodeErrors: client.Counter;
  queueDepth: client.Gauge;
  spoolDepth: client.Gauge;
  spoolHeld: client.Gauge;
  spoolWriteFailures: client.Counter;
  ingestLatency: client.Histogram;
  mqttConnected: client.Gauge;
  mqttReconnects: client.Counter;
  rebirthsRequested: client.Counter;
  rebirthsSuppressed: client.Counter;
  transientRetries: client.Counter<'sqlstate'>;
  ignored: client.Counter;
}

export function createMetrics(): IngestMetrics {
  const registry = new client.Registry();
  client.collectDefaultMetrics({ register: registry, prefix: 'uns_meta_ingest_' });
  const registers = [registry];
  return {
    registry,
    birthsReceived: new client.Counter({ name: 'uns_meta_ingest_births_received_total', help: 'Births received from MQTT, by message type (NBIRTH, DBIRTH).', labelNames: ['type'], registers }),
    birthsIngested: new client.Counter({ name: 'uns_meta_ingest_births_ingested_total', help: 'Births committed to the database (DBIRTH via ingest_birth, NBIRTH alias maps), and DBIRTHs the catalog already held (births_unchanged_total).', registers }),
    birthsUnchanged: new client.Counter({ name: 'uns_meta_ingest_births_unchanged_total', help: 'DBIRTHs whose fingerprint the catalog already held (uns_meta.birth_is_current): nothing sent to ingest_birth, nothing written; also counted in births_ingested_total.', registers }),
    birthsFailed: new client.Counter({ name: 'uns_meta_ingest_births_failed_total', help: 'Attempts to apply a birth that failed, by reason (transient: the database could not take it, no connection included: retried in place or spooled; oversize, decode, invalid, rejected, internal: dead-lettered).', labelNames: ['reason'], registers }),
    deadLettered: new client.Counter({ name: 'uns_meta_ingest_dead_letters_total', help: 'Messages written to uns_meta.dead_letters, by reason (oversize, decode, invalid, rejected, topic).', labelNames: ['reason'], registers }),
    metricsParsed: new client.Counter({ name: 'uns_meta_ingest_metrics_parsed_total', help: 'Sparkplug metrics decoded from births.', registers }),
    propertiesParsed: new client.Counter({ name: 'uns_meta_ingest_properties_parsed_total', help: 'Top-level properties of the decoded metrics.', registers }),
    decodeErrors: new client.Counter({ name: 'uns_meta_ingest_decode_errors_total', help: 'Payloads that are not valid Sparkplug B.', registers }),
    queueDepth: new client.Gauge({ name: 'uns_meta_ingest_queue_depth', help: 'Births held in memory: waiting or being applied.', registers }),
    spoolDepth: new client.Gauge({ name: 'uns_meta_ingest_spool_depth', help: 'Births in the on-disk spool, waiting for replay.', registers }),
    spoolHeld: new client.Gauge({ name: 'uns_meta_ingest_spool_held', help: 'Births the spool refused (disk full or read-only), held in memory and retried every second.', registers }),
    spoolWriteFailures: new client.Counter({ name: 'uns_meta_ingest_spool_write_failures_total', help: 'Spool writes the disk refused (full, read-only); the birth is held in memory.', registers }),
    ingestLatency: new client.Histogram({
      name: 'uns_meta_ingest_latency_seconds',
      help: 'From receipt to commit of a birth (spool time included).',
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300],
      registers,
    }),
    mqttConnected: new client.Gauge({ name: 'uns_meta_ingest_mqtt_connected', help: '1 while connected to the MQTT broker.', registers }),
    mqttReconnects: new client.Counter({ name: 'uns_meta_ingest_mqtt_reconnects_total', help: 'Reconnection attempts to the MQTT broker.', registers }),
    rebirthsRequested: new client.Counter({ name: 'uns_meta_ingest_rebirths_requested_total', help: 'NCMD Node Control/Rebirth requests published.', registers }),
    rebirthsSuppressed: new client.Counter({ name: 'uns_meta_ingest_rebirths_suppressed_total', help: 'Rebirth requests not sent because of the per-edge-node throttle.', registers }),
    transientRetries: new client.Counter({ name: 'uns_meta_ingest_transient_retries_total', help: 'In-place retries after a serialization failure or deadlock.', labelNames: ['sqlstate'], registers }),
    ignored: new client.Counter({ name: 'uns_meta_ingest_messages_ignored_total', help: 'Messages that are not births (STATE, other types), ignored.', registers }),
  };
}
