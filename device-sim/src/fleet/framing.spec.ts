import { generate, parser } from 'mqtt-packet';
import { frameEnd, FramingError, splitFrames } from './framing';

const puback = (id: number) => generate({ cmd: 'puback', messageId: id });
const publish = (payload: string) => generate({ cmd: 'publish', topic: 'v1/devices/d1/commands', payload, qos: 1, messageId: 7, retain: false, dup: false });

function collect(chunks: Buffer[]): Buffer[] {
  const frames: Buffer[] = [];
  let tail: Buffer | undefined;
  for (const chunk of chunks) tail = splitFrames(tail, chunk, (f) => frames.push(Buffer.from(f)));
  expect(tail).toBeUndefined();
  return frames;
}

describe('MQTT framing of the fleet client', () => {
  it('cuts several packets of one read into whole frames', () => {
    const packets = [puback(1), generate({ cmd: 'pingresp' }), publish('{"id":"c1","cmd":"open"}'), puback(2)];
    expect(collect([Buffer.concat(packets)])).toEqual(packets);
  });

  it('reassembles packets split at every possible byte, including inside the remaining length', () => {
    const big = publish('x'.repeat(300)); // remaining length takes two bytes
    const stream = Buffer.concat([puback(1), big, puback(2)]);
    for (let cut = 1; cut < stream.length; cut++) {
      expect(collect([stream.subarray(0, cut), stream.subarray(cut)])).toEqual([puback(1), big, puback(2)]);
    }
    // and one byte at a time
    expect(collect([...stream].map((b) => Buffer.from([b])))).toEqual([puback(1), big, puback(2)]);
  });

  it('reads 1- to 4-byte remaining lengths at their boundaries', () => {
    // remaining length of a QoS 0 publish on topic "t" = 2 + 1 + payload
    for (const [remaining, lengthBytes] of [[127, 1], [128, 2], [16_383, 2], [16_384, 3], [2_097_151, 3], [2_097_152, 4]]) {
      const frame = generate({ cmd: 'publish', topic: 't', payload: Buffer.alloc(remaining - 3), qos: 0, retain: false, dup: false });
      expect(frame.length).toBe(1 + lengthBytes + remaining);
      expect(frameEnd(frame, 0, Infinity)).toBe(frame.length);
      expect(frameEnd(frame.subarray(0, frame.length - 1), 0, Infinity)).toBe(-1);
      expect(frameEnd(frame.subarray(0, lengthBytes), 0, Infinity)).toBe(-1);
    }
  });

  it('keeps a partial frame as its own copy, not a view of the socket read', () => {
    const read = Buffer.concat([puback(1), puback(2).subarray(0, 3)]);
    const frames: Buffer[] = [];
    const tail = splitFrames(undefined, read, (f) => frames.push(f));
    expect(frames).toEqual([puback(1)]);
    expect(tail).toEqual(puback(2).subarray(0, 3));
    read.fill(0);
    expect(tail).toEqual(puback(2).subarray(0, 3));
  });

  it('refuses a remaining length of more than four bytes and frames over the limit', () => {
    expect(() => splitFrames(undefined, Buffer.from([0x30, 0xff, 0xff, 0xff, 0xff, 0x01]), () => undefined)).toThrow(FramingError);
    expect(() => splitFrames(undefined, publish('y'.repeat(2000)), () => undefined, 1024)).toThrow(/over the 1024-byte limit/);
  });

  it('gives frames a shared parser turns into exactly one packet each', () => {
    const shared = parser({ protocolVersion: 4 });
    const seen: string[] = [];
    shared.on('packet', (p) => seen.push(p.cmd));
    const stream = Buffer.concat([generate({ cmd: 'connack', returnCode: 0, sessionPresent: false }), puback(3), publish('{}'), generate({ cmd: 'suback', messageId: 2, granted: [1] })]);
    for (let cut = 1; cut < stream.length; cut += 3) {
      seen.length = 0;
      collect([stream.subarray(0, cut), stream.subarray(cut)]).forEach((f) => expect(shared.parse(f)).toBe(0));
      expect(seen).toEqual(['connack', 'puback', 'publish', 'suback']);
    }
  });
});
