/**
 * MQTT frame boundaries (MQTT 3.1.1 §2.2 / 5.0 §2.1): one byte of type and flags, then the
 * "remaining length" as a variable byte integer of 1 to 4 bytes, then that many bytes. The fleet
 * client cuts the TCP byte stream into whole packets here and hands each one to a parser shared
 * by every connection of the process, so a connection keeps no parser of its own: only the
 * unfinished tail of its last read, which is empty nearly always.
 */
export class FramingError extends Error {}

/** The largest packet the fleet client accepts from the broker (commands are small JSON). */
export const MAX_FRAME_BYTES = 256 * 1024;

/**
 * Where the frame starting at `offset` ends, or -1 when `buffer` does not hold all of it yet.
 * Throws FramingError for a malformed length or a frame above `maxBytes`.
 */
export function frameEnd(buffer: Buffer, offset: number, maxBytes = MAX_FRAME_BYTES): number {
  let remaining = 0;
  let multiplier = 1;
  for (let i = 1; i <= 4; i++) {
    const at = offset + i;
    if (at >= buffer.length) return -1;
    const byte = buffer[at];
    remaining += (byte & 0x7f) * multiplier;
    if ((byte & 0x80) === 0) {
      const end = at + 1 + remaining;
      if (end - offset > maxBytes) throw new FramingError(`packet of ${end - offset} bytes is over the ${maxBytes}-byte limit`);
      return end <= buffer.length ? end : -1;
    }
    multiplier *= 128;
  }
  throw new FramingError('remaining length longer than 4 bytes');
}

/**
 * Appends `chunk` to the unfinished `tail` of earlier reads, calls `onFrame` for every whole
 * packet in order, and returns the new unfinished tail (undefined when nothing is left over).
 * A frame passed to `onFrame` is only valid during the call.
 */
export function splitFrames(tail: Buffer | undefined, chunk: Buffer, onFrame: (frame: Buffer) => void, maxBytes = MAX_FRAME_BYTES): Buffer | undefined {
  const buffer = tail ? Buffer.concat([tail, chunk]) : chunk;
  let offset = 0;
  while (offset < buffer.length) {
    const end = frameEnd(buffer, offset, maxBytes);
    if (end === -1) break;
    onFrame(buffer.subarray(offset, end));
    offset = end;
  }
  if (offset === buffer.length) return undefined;
  // Copy, so that a tail does not keep a whole socket read alive.
  return Buffer.from(buffer.subarray(offset));
}
