/**
 * Comparing an external broker's client list with the device registry (MQTT_BROKER_AUTH=
 * mosquitto-dynsec). The registry is the authority on which devices exist and which are disabled;
 * the broker is the authority on secrets, which the platform keeps only as a hash. So a device
 * missing at the broker cannot be recreated with its secret: it is created disabled with a
 * secret nobody knows and stays "waiting for a secret rotation" until an operator rotates it.
 */

/** A device as the registry knows it. */
export interface RegistryDevice {
  id: string;
  disabled: boolean;
}

/** A client as the broker knows it. */
export interface BrokerClient {
  username: string;
  disabled: boolean;
  /** Marked as one of the platform's devices (created or adopted by the platform). */
  managed: boolean;
  /** Created without the device's secret; only a rotation lets the device in. */
  needsSecret: boolean;
  /** Holds the device's own topic permissions (contract §2). */
  hasDeviceRole: boolean;
}

export interface ReconciliationPlan {
  /** In the registry, not at the broker: created disabled, waiting for a secret rotation. */
  create: string[];
  /** A client of the device's name that the platform did not create (e.g. by hand): taken over as it is. */
  adopt: string[];
  /** A device's client without its topic permissions (e.g. removed by hand): given them again. */
  grant: string[];
  /** Disabled in the registry (or unknown to it) but enabled at the broker. */
  disable: string[];
  /** Enabled in the registry, disabled at the broker, and holding the device's real secret. */
  enable: string[];
  /** Devices the broker cannot let in until their secret is rotated (including those created now). */
  needsSecret: string[];
  /** The platform's clients that the registry does not know (disabled, never deleted: an operator decides). */
  unknown: string[];
}

/**
 * What to change at the broker so that it agrees with the registry. Clients in `untouchable`
 * (the platform's own broker user) are never changed, whatever their name.
 */
export function planReconciliation(registry: readonly RegistryDevice[], broker: readonly BrokerClient[], untouchable: ReadonlySet<string>): ReconciliationPlan {
  const plan: ReconciliationPlan = { create: [], adopt: [], grant: [], disable: [], enable: [], needsSecret: [], unknown: [] };
  const clients = new Map(broker.map((c) => [c.username, c]));
  const known = new Set<string>();
  for (const device of registry) {
    if (untouchable.has(device.id)) continue;
    known.add(device.id);
    const client = clients.get(device.id);
    if (!client) {
      plan.create.push(device.id);
      plan.needsSecret.push(device.id);
      continue;
    }
    if (!client.managed) plan.adopt.push(device.id);
    if (!client.hasDeviceRole) plan.grant.push(device.id);
    if (client.needsSecret) plan.needsSecret.push(device.id);
    if (device.disabled && !client.disabled) plan.disable.push(device.id);
    if (!device.disabled && client.disabled && !client.needsSecret) plan.enable.push(device.id);
  }
  for (const client of broker) {
    if (!client.managed || known.has(client.username) || untouchable.has(client.username)) continue;
    plan.unknown.push(client.username);
    if (!client.disabled) plan.disable.push(client.username);
  }
  return plan;
}

/** Whether a plan changes anything at the broker. */
export const planChangesBroker = (plan: ReconciliationPlan): boolean =>
  plan.create.length + plan.adopt.length + plan.grant.length + plan.disable.length + plan.enable.length > 0;
