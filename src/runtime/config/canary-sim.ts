// `uns-meta canary-sim`: the variables it reads besides its options (section [canary-sim] of .env.example;
// docs/canary-sim.md). Its options (--port, --rate-limit, ...) stay on the command line.
import { envSchema, optionalString } from '../env.ts';

export const canarySimSchema = envSchema('canary-sim', {
  CANARY_SIM_API_TOKEN: optionalString({ meaning: 'API token getSessionToken must present (unset = any; --api-token overrides)', secret: true }),
});
