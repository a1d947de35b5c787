// The worker's pool waits out a PostgreSQL restart on the promise form of connect() (graphile-worker's job release
// uses it; src/runtime/patient-pool.ts), and only there: pg.Pool's own query() still fails at once, and an error
// that is not a restart is not retried. A private cluster is stopped and started under it.
import { connect, createServer } from 'node:net';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PatientPool } from '../../src/runtime/patient-pool.ts';
import { configFor } from '../support/database.ts';
import { startPrivateCluster, type PrivateCluster } from '../support/private-cluster.ts';

let cluster: PrivateCluster;

beforeAll(async () => {
  cluster = await startPrivateCluster();
}, 120_000);

afterAll(async () => {
  await cluster?.destroy();
}, 60_000);

describe('PatientPool', () => {
  it('connects once PostgreSQL is back when connect() found it down; a plain pg.Pool fails at once', { timeout: 60_000 }, async () => {
    const config = configFor(cluster.url('uns_meta_app', 'postgres'));
    const patient = new PatientPool(config, 30_000);
    const plain = new pg.Pool(config);
    try {
      await cluster.stop('fast');
      await expect(plain.connect()).rejects.toMatchObject({ code: 'ECONNREFUSED' });
      await expect(patient.query('select 1')).rejects.toMatchObject({ code: 'ECONNREFUSED' }); // query(): not patient
      const waiting = patient.connect();
      const restarted = new Promise((resolve) => setTimeout(resolve, 1500)).then(() => cluster.start());
      const client = await waiting;
      await restarted;
      try {
        expect((await client.query<{ one: number }>('select 1 as one')).rows).toEqual([{ one: 1 }]);
      } finally {
        client.release();
      }
    } finally {
      await Promise.all([patient.end(), plain.end()]);
    }
  });

  it('gives up after its patience, and at once on an error that is not a restart', { timeout: 60_000 }, async () => {
    const config = configFor(cluster.url('uns_meta_app', 'postgres'));
    await cluster.stop('fast');
    try {
      const short = new PatientPool(config, 1000);
      const started = Date.now();
      await expect(short.connect()).rejects.toMatchObject({ code: 'ECONNREFUSED' });
      expect(Date.now() - started).toBeGreaterThanOrEqual(500);
      await short.end();
    } finally {
      await cluster.start();
    }
    const wrongDatabase = new PatientPool(configFor(cluster.url('uns_meta_app', 'no_such_database')), 30_000);
    const started = Date.now();
    await expect(wrongDatabase.connect()).rejects.toMatchObject({ code: '3D000' });
    expect(Date.now() - started).toBeLessThan(10_000);
    await wrongDatabase.end();
  });

  it('waits out a server that drops connections while they are being opened (a shutdown in progress)', { timeout: 60_000 }, async () => {
    // In front of the cluster: the first connections are accepted and dropped at once, as a server shutting down
    // does ("Connection terminated unexpectedly", no code); later ones are passed through.
    let dropped = 0;
    const server = createServer((socket) => {
      if (dropped < 3) {
        dropped++;
        socket.destroy();
        return;
      }
      const upstream = connect(cluster.port, '127.0.0.1');
      socket.pipe(upstream).pipe(socket);
      socket.on('error', () => upstream.destroy());
      upstream.on('error', () => socket.destroy());
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const port = (server.address() as { port: number }).port;
    const url = new URL(cluster.url('uns_meta_app', 'postgres'));
    url.port = String(port);
    const config = configFor(url.toString());
    const plain = new pg.Pool(config);
    const patient = new PatientPool(config, 30_000);
    try {
      await expect(plain.connect()).rejects.toThrow(/^Connection terminated/);
      const client = await patient.connect();
      try {
        expect((await client.query<{ one: number }>('select 1 as one')).rows).toEqual([{ one: 1 }]);
      } finally {
        client.release();
      }
      expect(dropped).toBe(3);
    } finally {
      await Promise.all([patient.end(), plain.end()]);
      await new Promise((resolve) => server.close(resolve));
    }
  });
});
