import { MqttFrameLimit } from './mqtt-frame-limit';

// Remaining-length encoding: MQTT 3.1.1 §2.2.3 (e.g. 321 = 0xC1 0x02).
const header = (type: number, length: number): number[] => {
  const bytes = [type];
  do {
    let digit = length % 128;
    length = Math.floor(length / 128);
    if (length > 0) digit |= 0x80;
    bytes.push(digit);
  } while (length > 0);
  return bytes;
};
const packet = (length: number) => Buffer.from([...header(0x30, length), ...Buffer.alloc(length, 1)]);

describe('MqttFrameLimit (issue 8 item 3: refuse an oversize packet before buffering it)', () => {
  it('passes packets up to the limit, whole or split anywhere', () => {
    const stream = Buffer.concat([packet(0), packet(321), packet(1000 - 3)]);
    const limit = new MqttFrameLimit(1000);
    for (let i = 0; i < stream.length; i += 7) expect(limit.push(stream.subarray(i, i + 7))).toEqual({ ok: true });
  });

  it('refuses a declared 256 MiB packet from its header alone', () => {
    const limit = new MqttFrameLimit(128 * 1024);
    const head = Buffer.from(header(0x10, 256 * 1024 * 1024 - 10));
    expect(limit.push(head.subarray(0, 2))).toEqual({ ok: true });
    expect(limit.push(head.subarray(2))).toEqual({ ok: false, reason: 'packet_too_large', declaredBytes: 256 * 1024 * 1024 - 10 + 5 });
  });

  it('counts the header in the packet size', () => {
    expect(new MqttFrameLimit(1000).push(packet(998).subarray(0, 3))).toMatchObject({ ok: false, declaredBytes: 1001 });
  });

  it('refuses a length of more than four bytes', () => {
    expect(new MqttFrameLimit(1000).push(Buffer.from([0x10, 0xff, 0xff, 0xff, 0xff]))).toEqual({ ok: false, reason: 'malformed_length' });
  });
});
