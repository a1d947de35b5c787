// A throwaway Mosquitto broker: /usr/sbin/mosquitto with a generated config (plain listener on 127.0.0.1, anonymous,
// no persistence) in a temporary directory. `uns-meta demo` runs one; the ingestor tests run theirs (TLS, passwords)
// through the same runMosquitto.
import { type ChildProcess, spawn } from 'node:child_process';
import { accessSync, chmodSync, constants, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { connect, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';

export const MOSQUITTO_BIN = '/usr/sbin/mosquitto';

export interface EmbeddedBroker {
  port: number;
  url: string;
  output(): string;
  stop(): Promise<void>;
}

/** A TCP port on 127.0.0.1 that was free a moment ago. */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const addr = s.address();
      const port = typeof addr === 'object' && addr ? addr.port : 0;
      s.close(() => resolve(port));
    });
  });
}

/** Resolves once `port` accepts connections; rejects when the child exits first or after 10 s. */
async function waitForPort(port: number, child: ChildProcess, output: () => string): Promise<void> {
  const deadline = Date.now() + 10_000;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`mosquitto exited with ${child.exitCode}: ${output()}`);
    const ok = await new Promise<boolean>((resolve) => {
      const s = connect(port, '127.0.0.1', () => {
        s.destroy();
        resolve(true);
      });
      s.on('error', () => resolve(false));
    });
    if (ok) return;
    await sleep(50);
  }
  throw new Error(`mosquitto did not listen on ${port}: ${output()}`);
}

/** A running Mosquitto: its log so far, and `stop()`, which ends it and removes its directory. */
export interface MosquittoProcess {
  output(): string;
  stop(): Promise<void>;
}

/**
 * Runs Mosquitto on the config `lines(dir)` returns (given its own temporary directory, for files the config names),
 * and resolves once every port in `ports` accepts connections; if one never does, it is stopped and the error says
 * what it logged.
 */
export async function runMosquitto(lines: (dir: string) => string[], ports: number[]): Promise<MosquittoProcess> {
  try {
    accessSync(MOSQUITTO_BIN, constants.X_OK);
  } catch {
    throw new Error(`Mosquitto is missing: no executable ${MOSQUITTO_BIN}; install the mosquitto package (\`make setup\` does)`);
  }
  const dir = mkdtempSync(join(tmpdir(), 'uns-meta-mosquitto-'));
  chmodSync(dir, 0o755); // mosquitto started as root drops to its own user
  const conf = join(dir, 'mosquitto.conf');
  writeFileSync(conf, lines(dir).join('\n') + '\n');
  const child = spawn(MOSQUITTO_BIN, ['-c', conf], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout?.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr?.on('data', (d: Buffer) => (out += d.toString()));
  const output = () => out;
  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null) {
      const exited = new Promise((r) => child.once('exit', r));
      child.kill('SIGTERM');
      await exited;
    }
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    for (const port of ports) await waitForPort(port, child, output);
  } catch (err) {
    await stop();
    throw err;
  }
  return { output, stop };
}

/** Starts Mosquitto on a free port (plain listener on 127.0.0.1, anonymous, no persistence). */
export async function startEmbeddedBroker(): Promise<EmbeddedBroker> {
  const port = await freePort();
  const broker = await runMosquitto(() => ['persistence false', 'log_dest stdout', 'log_type error', 'log_type warning',
    'allow_anonymous true', `listener ${port} 127.0.0.1`], [port]);
  return { port, url: `mqtt://127.0.0.1:${port}`, ...broker };
}
