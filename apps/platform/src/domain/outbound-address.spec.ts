import { addressRefusal, isAllowListed } from './outbound-address';

// Issue 8 item 1 (server-side request forgery); ranges per the IANA special-purpose registries.
describe('addressRefusal', () => {
  it.each([
    ['127.0.0.1', 'loopback'],
    ['127.1', 'loopback'],
    ['::1', 'loopback'],
    ['::ffff:127.0.0.1', 'loopback'],
    ['::ffff:7f00:1', 'loopback'],
    ['10.1.2.3', 'private'],
    ['172.16.0.1', 'private'],
    ['192.168.1.1', 'private'],
    ['::ffff:192.168.1.1', 'private'],
    ['fc00::1', 'uniqueLocal'],
    ['169.254.169.254', 'metadata'],
    ['fd00:ec2::254', 'metadata'],
    ['100.100.100.200', 'metadata'],
    ['169.254.1.1', 'linkLocal'],
    ['fe80::1', 'linkLocal'],
    ['100.64.0.1', 'carrierGradeNat'],
    ['224.0.0.1', 'multicast'],
    ['ff02::1', 'multicast'],
    ['0.0.0.0', 'unspecified'],
    ['::', 'unspecified'],
    ['255.255.255.255', 'broadcast'],
    ['64:ff9b::7f00:1', 'rfc6052'],
    ['2002:7f00:1::', '6to4'],
    ['not-an-address', 'invalid_address'],
  ])('refuses %s (%s)', (address, reason) => {
    expect(addressRefusal(address)).toBe(reason);
  });

  it.each(['8.8.8.8', '203.0.114.10', '2606:4700::1111', '::ffff:8.8.8.8'])('allows the public address %s', (address) => {
    expect(addressRefusal(address)).toBeUndefined();
  });
});

describe('isAllowListed', () => {
  it('matches exact host names and IP literals, case-insensitively, IPv6 with or without brackets', () => {
    const list = ['relay.internal', '127.0.0.1', '::1'];
    expect(isAllowListed('Relay.Internal', list)).toBe(true);
    expect(isAllowListed('127.0.0.1', list)).toBe(true);
    expect(isAllowListed('[::1]', list)).toBe(true);
    expect(isAllowListed('evil.relay.internal', list)).toBe(false);
    expect(isAllowListed('127.0.0.2', list)).toBe(false);
  });
});
