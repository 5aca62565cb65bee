import { ConfigError } from './config/config';
import { startPlatform } from './bootstrap';

// The process entry point: the only place that hands process.env to the configuration.
startPlatform(process.env).catch((error: Error) => {
  if (error instanceof ConfigError) console.error(error.message);
  else console.error(`The platform could not start: ${error.message}`);
  process.exit(1);
});
