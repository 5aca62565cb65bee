import { createServer } from 'node:net';
import Aedes from 'aedes';

/**
 * A bare aedes broker on --port (the first argument): in-memory persistence, no authentication,
 * no hooks. The ingestion benchmark measures it like Mosquitto, as the floor of what an aedes-based
 * platform costs a message before it does any work of its own.
 */
const port = Number(process.argv[2]);
const broker = new Aedes();
const server = createServer((socket) => broker.handle(socket));
server.listen(port, '127.0.0.1', () => process.stdout.write('listening\n'));
process.on('SIGTERM', () => server.close(() => broker.close(() => process.exit(0))));
