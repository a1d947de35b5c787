// A real Mosquitto broker for a test: /usr/sbin/mosquitto with a generated config on free ports. Always a plain
// listener; with `pki`, a TLS 1.3 listener and an mTLS listener (client certificate required, its CN the client's
// user name, no password asked); with `users`, a password file and no anonymous access.
import { execFileSync } from 'node:child_process';
import { chmodSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { TestPki } from './certificates.ts';
import { freePort, runMosquitto } from '../../../src/embedded-mosquitto.ts';

export interface Broker {
  port: number;
  tlsPort: number | undefined;
  mtlsPort: number | undefined;
  url: string;
  output(): string;
  stop(): Promise<void>;
}

export interface BrokerOptions {
  /** The plain listener's port (default: a free one); to restart a broker where clients expect it. */
  port?: number;
  pki?: TestPki;
  users?: Record<string, string>;
}

export async function startBroker(options: BrokerOptions = {}): Promise<Broker> {
  const port = options.port ?? (await freePort());
  const tlsPort = options.pki ? await freePort() : undefined;
  const mtlsPort = options.pki ? await freePort() : undefined;
  const config = (dir: string) => {
    // stderr: unbuffered, so output() holds every line as soon as it is logged
    const lines = ['per_listener_settings false', 'persistence false', 'log_dest stderr', 'log_type error', 'log_type warning',
      'log_type notice', 'max_queued_messages 100000', 'max_inflight_messages 0'];
    if (options.users) {
      const file = join(dir, 'passwd');
      writeFileSync(file, '');
      for (const [user, password] of Object.entries(options.users)) execFileSync('mosquitto_passwd', ['-b', file, user, password], { stdio: 'pipe' });
      chmodSync(file, 0o644);
      lines.push('allow_anonymous false', `password_file ${file}`);
    } else {
      lines.push('allow_anonymous true');
    }
    lines.push(`listener ${port} 127.0.0.1`);
    if (options.pki) {
      const { caCert, serverCert, serverKey } = options.pki;
      lines.push(`listener ${tlsPort} 127.0.0.1`, `cafile ${caCert}`, `certfile ${serverCert}`, `keyfile ${serverKey}`, 'tls_version tlsv1.3');
      lines.push(`listener ${mtlsPort} 127.0.0.1`, `cafile ${caCert}`, `certfile ${serverCert}`, `keyfile ${serverKey}`, 'tls_version tlsv1.3',
        'require_certificate true', 'use_identity_as_username true');
    }
    return lines;
  };
  const broker = await runMosquitto(config, [port, tlsPort, mtlsPort].filter((p) => p !== undefined));
  return { port, tlsPort, mtlsPort, url: `mqtt://127.0.0.1:${port}`, ...broker };
}
