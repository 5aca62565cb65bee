/**
 * Which addresses the platform may call on a user's behalf (alarm webhooks), pure. Only global
 * unicast addresses pass: loopback, private, link-local, carrier-grade NAT, multicast,
 * unspecified, broadcast, reserved and the IPv6 ranges that embed an IPv4 address are refused
 * (server-side request forgery, OWASP SSRF prevention cheat sheet), and cloud metadata endpoints
 * by name. IPv4-mapped IPv6 (::ffff:127.0.0.1) is judged as the IPv4 address it carries.
 * Classification by ipaddr.js (its IANA special-purpose registry tables).
 */
import ipaddr from 'ipaddr.js';

/** Cloud instance-metadata endpoints (AWS/GCP/Azure/OpenStack 169.254.169.254, AWS IPv6, Alibaba Cloud). */
const METADATA_ADDRESSES = new Set(['169.254.169.254', 'fd00:ec2::254', '100.100.100.200']);

/** The reason an address may not be called ('loopback', 'private', 'metadata', …), or undefined when it may. */
export function addressRefusal(address: string): string | undefined {
  if (!ipaddr.isValid(address)) return 'invalid_address';
  const parsed = ipaddr.process(address); // unwraps IPv4-mapped IPv6
  if (METADATA_ADDRESSES.has(parsed.toString())) return 'metadata';
  const range = parsed.range();
  return range === 'unicast' ? undefined : range;
}

/** A URL host as written in an allow-list entry: lower case, without IPv6 brackets. */
export function bareHost(hostname: string): string {
  return hostname.toLowerCase().replace(/^\[|\]$/g, '');
}

/** Whether the URL's host is on the operator's allow-list (exact host names or IP literals; no wildcards). */
export function isAllowListed(hostname: string, allowedHosts: readonly string[]): boolean {
  const host = bareHost(hostname);
  return allowedHosts.some((h) => bareHost(h) === host);
}
