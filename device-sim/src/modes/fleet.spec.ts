import { parseSourceAddresses, processesFor, sourceAddressesFor } from './fleet';

describe('fleet source addresses and processes', () => {
  it('expands ranges and lists, across an octet', () => {
    expect(parseSourceAddresses('127.0.0.2-127.0.0.4, 127.0.1.9')).toEqual(['127.0.0.2', '127.0.0.3', '127.0.0.4', '127.0.1.9']);
    expect(parseSourceAddresses('127.0.0.254-127.0.1.1')).toEqual(['127.0.0.254', '127.0.0.255', '127.0.1.0', '127.0.1.1']);
    expect(() => parseSourceAddresses('127.0.0.9-127.0.0.2')).toThrow(/bad address range/);
    expect(() => parseSourceAddresses('127.0.0.2-127.0.300.1')).toThrow(/not an IPv4 address/);
  });

  it('on loopback, spreads the fleet over 127.0.0.2 upwards, so many per address', () => {
    expect(sourceAddressesFor('127.0.0.1', 50_000, 2000)).toHaveLength(25);
    expect(sourceAddressesFor('127.0.0.1', 50_000, 2000)[0]).toBe('127.0.0.2');
    expect(sourceAddressesFor('localhost', 10, 2000)).toEqual(['127.0.0.2']);
    // another host: the operating system chooses
    expect(sourceAddressesFor('10.1.2.3', 50_000, 2000)).toEqual([]);
    expect(sourceAddressesFor('10.1.2.3', 50_000, 2000, '10.9.0.1-10.9.0.2')).toEqual(['10.9.0.1', '10.9.0.2']);
  });

  it('uses as many processes as the open-file limit needs', () => {
    expect(processesFor(50_000, 0, 20_000)).toBe(3);
    expect(processesFor(19_000, 0, 20_000)).toBe(1);
    expect(processesFor(1000, 4, 20_000)).toBe(4);
    expect(processesFor(5000, 0, 1024)).toBe(7);
  });
});
