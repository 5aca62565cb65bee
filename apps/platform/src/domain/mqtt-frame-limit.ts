/**
 * Reads only the fixed header of each MQTT packet in a byte stream (MQTT 3.1.1 §2.2 and 5.0 §2.1:
 * one type byte, then the "remaining length" as 1-4 bytes of 7 bits each, low first) and skips
 * the rest, so a packet that declares more than `maxPacketBytes` is refused as soon as its
 * header arrives, before anything buffers it. The MQTT parser (mqtt-packet) has no such limit: it
 * keeps appending bytes until the declared length is there.
 */
export type FrameVerdict = { ok: true } | { ok: false; reason: 'packet_too_large'; declaredBytes: number } | { ok: false; reason: 'malformed_length' };

export class MqttFrameLimit {
  /** Bytes of the current packet's body still to skip. */
  private bodyLeft = 0;
  /** Where in the fixed header the scan is: 'type', or the number of length bytes read. */
  private lengthBytes = -1;
  private length = 0;

  constructor(private readonly maxPacketBytes: number) {}

  /** Scans the next chunk of the stream; a refusal is final (the connection is to be closed). */
  push(chunk: Uint8Array): FrameVerdict {
    let i = 0;
    while (i < chunk.length) {
      if (this.bodyLeft > 0) {
        const skip = Math.min(this.bodyLeft, chunk.length - i);
        this.bodyLeft -= skip;
        i += skip;
        continue;
      }
      const byte = chunk[i++];
      if (this.lengthBytes < 0) {
        this.lengthBytes = 0;
        this.length = 0;
        continue;
      }
      this.length += (byte & 0x7f) * 128 ** this.lengthBytes;
      this.lengthBytes++;
      if (byte & 0x80) {
        if (this.lengthBytes === 4) return { ok: false, reason: 'malformed_length' };
        continue;
      }
      // The whole packet: type byte, length bytes, body.
      const packetBytes = 1 + this.lengthBytes + this.length;
      if (packetBytes > this.maxPacketBytes) return { ok: false, reason: 'packet_too_large', declaredBytes: packetBytes };
      this.bodyLeft = this.length;
      this.lengthBytes = -1;
    }
    return { ok: true };
  }
}
