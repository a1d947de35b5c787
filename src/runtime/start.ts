// How a command starts from its configuration: a ConfigError becomes the one line `<command>: <VAR>: ...` on
// stderr (no stack) and the command exits EXIT_CONFIG (78); any other error goes on to the CLI's handler.
import { ConfigError } from './env.ts';

/** The configuration `load` resolves, or undefined after printing the error line (the caller returns 78). */
export function configure<T>(command: string, load: () => T): T | undefined {
  try {
    return load();
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    console.error(`${command}: ${err.message}`);
    return undefined;
  }
}

export { EXIT_CONFIG } from './env.ts';
