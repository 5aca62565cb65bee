import { ConfigError, processEnvironment } from './config/config';
import { startPlatform } from './bootstrap';

// The process entry point: hands the environment to the configuration.
startPlatform(processEnvironment()).catch((error: Error) => {
  if (error instanceof ConfigError) console.error(error.message);
  else console.error(`The platform could not start: ${error.message}`);
  process.exit(1);
});
