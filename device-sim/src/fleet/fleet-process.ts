/**
 * A child process of `device-sim fleet`: runs one shard of the fleet (its own event loop and
 * its own open-file limit) and reports a snapshot to the parent every second over IPC.
 */
import { FleetShard, type FleetShardOptions } from './fleet-shard';
import type { FleetDevice } from './lean-device';

export type ShardCommand = { type: 'start'; devices: FleetDevice[]; options: FleetShardOptions; firstIndex: number } | { type: 'stop' };

let shard: FleetShard | undefined;
let reporter: NodeJS.Timeout | undefined;

function send(message: unknown): void {
  if (process.connected) process.send?.(message);
}

process.on('message', (command: ShardCommand) => {
  if (command.type === 'start' && !shard) {
    shard = new FleetShard(command.devices, command.options, command.firstIndex);
    shard.start();
    reporter = setInterval(() => send({ type: 'snapshot', snapshot: shard!.snapshot() }), 1000);
  } else if (command.type === 'stop') {
    clearInterval(reporter);
    void (shard?.stop() ?? Promise.resolve()).then(() => {
      send({ type: 'stopped', snapshot: shard?.snapshot() });
      setTimeout(() => process.exit(0), 100);
    });
  }
});
// The parent went away: stop at once rather than hold thousands of connections orphaned.
process.on('disconnect', () => process.exit(0));
