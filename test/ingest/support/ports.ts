// Free TCP ports on 127.0.0.1 for the servers a test starts.
export { freePort } from '../../../src/embedded-mosquitto.ts';
