import { Injectable, Logger, OnApplicationShutdown } from '@nestjs/common';
import { InjectConfig } from '../config/config.provider';
import type { BrokerAuthMode, PlatformConfig } from '../config/config';
import { planChangesBroker, planReconciliation, type ReconciliationPlan } from '../domain/broker-reconciliation';
import { ClockRepository } from '../repositories/clock.repository';
import { CryptoRepository } from '../repositories/crypto.repository';
import { DeviceRepository } from '../repositories/device.repository';
import { EmqxApiRepository } from '../repositories/emqx-api.repository';
import { MetricsRepository } from '../repositories/metrics.repository';
import { MosquittoDynsecRepository } from '../repositories/mosquitto-dynsec.repository';
import { SingletonDutyService } from './singleton-duty.service';

/** Ids listed in /health per kind; the counts are complete. */
const LISTED_IDS = 20;
const KICK_RETRY_MS = 5000;

export interface ReconciliationReport {
  at: string;
  durationMs: number;
  /** Changed at the broker by this run. */
  fixed: { created: number; adopted: number; permissionsRestored: number; disabled: number; enabled: number };
  /** Differences that remain: devices the broker cannot let in until their secret is rotated, and changes the broker refused. */
  needsSecretRotation: { count: number; ids: string[] };
  failed: { count: number; items: Array<{ id: string; error: string }> };
  /** The platform's clients at the broker that the registry does not know (kept, disabled). */
  unknownToRegistry: { count: number; ids: string[] };
  agrees: boolean;
}

export interface BrokerRegistryHealth {
  status: 'ok' | 'error' | 'not_used';
  /** 'embedded': the platform's own broker, which checks the registry itself. */
  mode: BrokerAuthMode | 'embedded';
  /** Whether the broker's view of the devices agrees with the registry. */
  agrees?: boolean;
  error?: string;
  lastReconciliation?: ReconciliationReport;
  pendingDisconnects?: { count: number; ids: string[] };
  disconnects?: 'rest-api' | 'not_configured';
}

export class BrokerRegistryError extends Error {}

/**
 * Keeps an external broker's device credentials in step with the registry (MQTT_BROKER_AUTH):
 * - mosquitto-dynsec: creates, re-keys, disables and enables the devices' clients through the
 *   dynamic-security plugin as they change here, and reconciles the whole list at start, after a
 *   lost control connection and every BROKER_RECONCILE_INTERVAL_S;
 * - emqx-http: EMQX asks the platform (EmqxHookService) on every connect, so only connections
 *   need telling: a device disabled or re-keyed here is disconnected through EMQX's REST API;
 * - manual (and the embedded broker): nothing to tell.
 * DeviceService, and every other path that creates devices, calls this and nothing else.
 */
@Injectable()
export class BrokerRegistryService implements OnApplicationShutdown {
  private readonly logger = new Logger(BrokerRegistryService.name);
  private readonly mode: BrokerAuthMode;
  private keeping = false;
  private reconciling?: Promise<ReconciliationReport>;
  private lastReport?: ReconciliationReport;
  private lastError?: string;
  private readonly pendingKicks = new Set<string>();
  private kickTimer?: NodeJS.Timeout;

  constructor(
    @InjectConfig() private readonly config: PlatformConfig,
    private readonly dynsec: MosquittoDynsecRepository,
    private readonly emqx: EmqxApiRepository,
    private readonly devices: DeviceRepository,
    private readonly crypto: CryptoRepository,
    private readonly metrics: MetricsRepository,
    private readonly clock: ClockRepository,
    private readonly duties: SingletonDutyService,
  ) {
    this.mode = config.mqtt.externalUrl ? config.brokerAuth.mode : 'manual';
  }

  /**
   * Starts keeping the broker's registry in this process (those with the `broker` role): with
   * mosquitto-dynsec, a first reconciliation now, then on every reconnect and interval.
   */
  async start(): Promise<void> {
    if (this.mode !== 'mosquitto-dynsec') return;
    this.keeping = true;
    await this.dynsec.ensureGroups().catch((error: Error) => {
      throw new Error(`MQTT_BROKER_AUTH=mosquitto-dynsec: the broker's dynamic-security plugin refused or ignored ${this.config.mqtt.username} (MQTT_USERNAME): ${error.message}`);
    });
    if ((await this.dynsec.ensurePlatformAccess()) === 'granted') {
      this.logger.log(`gave ${this.config.mqtt.username} the broker role for device commands and shared subscriptions (its connections were reset once)`);
    }
    this.dynsec.onReconnect(() => void this.reconcile().catch(() => undefined));
    await this.reconcile().catch(() => undefined);
    // Reconciled just above: the periodic duty's first run waits a full interval, so it does not
    // replace the start-up report (with the differences it fixed) by an empty one at once.
    const everyMs = this.config.brokerAuth.reconcileIntervalMs;
    this.duties.register({ name: 'broker-reconcile', everyMs, firstRunAfterMs: everyMs, run: () => this.reconcile().then(() => undefined) });
  }

  /**
   * New devices and their secrets, shown once and known nowhere else: the broker must take them
   * now. Returns the devices it could not take, with the reason (empty when nothing is to be told).
   */
  async devicesCreated(devices: ReadonlyArray<{ id: string; secret: string }>): Promise<Map<string, string>> {
    if (this.mode !== 'mosquitto-dynsec' || devices.length === 0) return new Map();
    let failed: Map<string, string>;
    try {
      failed = await this.dynsec.putDevices(devices.map((d) => ({ ...d, enabled: true })));
    } catch (error) {
      failed = new Map(devices.map((d) => [d.id, (error as Error).message]));
    }
    this.count('provision', devices.length - failed.size, failed.size);
    for (const [id, reason] of failed) this.logger.warn(`the broker did not take device ${id}: ${reason}`);
    return failed;
  }

  /** A device's new secret. Throws BrokerRegistryError when the broker cannot take it (the caller undoes the rotation). */
  async secretRotated(id: string, secret: string, enabled: boolean): Promise<void> {
    if (this.mode === 'emqx-http') return this.disconnect(id, 'rotate');
    if (this.mode !== 'mosquitto-dynsec') return;
    let reason: string | undefined;
    try {
      // Also gives the device back its client if the broker lost it, or had it waiting for this rotation.
      reason = (await this.dynsec.putDevices([{ id, secret, enabled }])).get(id);
    } catch (error) {
      reason = (error as Error).message;
    }
    this.count('rotate', reason ? 0 : 1, reason ? 1 : 0);
    if (reason) throw new BrokerRegistryError(`the broker did not take the new secret of ${id}: ${reason}`);
  }

  /**
   * A device disabled or enabled. The registry is the authority: when the broker cannot be told
   * now, the next reconciliation tells it (and ingestion already drops a disabled device's data).
   */
  async statusChanged(id: string, disabled: boolean): Promise<void> {
    if (this.mode === 'emqx-http') {
      if (disabled) await this.disconnect(id, 'disable');
      return;
    }
    if (this.mode !== 'mosquitto-dynsec') return;
    const operation = disabled ? 'disable' : 'enable';
    try {
      const outcome = await this.dynsec.setEnabled(id, !disabled);
      this.count(operation, 1, 0);
      if (outcome === 'needs_secret') this.logger.warn(`device ${id} was enabled, but the broker lets it in only after its secret is rotated`);
      if (outcome === 'missing') this.logger.warn(`device ${id} has no client at the broker; the next reconciliation creates one`);
    } catch (error) {
      this.count(operation, 0, 1);
      this.logger.warn(`could not ${operation} device ${id} at the broker (${(error as Error).message}); the next reconciliation will`);
    }
  }

  /** Compares the broker's clients with the registry and changes the broker where they differ. */
  reconcile(): Promise<ReconciliationReport> {
    this.reconciling ??= this.runReconciliation().finally(() => (this.reconciling = undefined));
    return this.reconciling;
  }

  health(): BrokerRegistryHealth {
    if (this.mode === 'emqx-http') {
      return {
        status: 'ok',
        mode: this.mode,
        // EMQX asks the registry on every connect; only disconnects still owed can disagree.
        agrees: this.pendingKicks.size === 0,
        disconnects: this.emqx.configured ? 'rest-api' : 'not_configured',
        pendingDisconnects: { count: this.pendingKicks.size, ids: [...this.pendingKicks].slice(0, LISTED_IDS) },
      };
    }
    if (!this.config.mqtt.externalUrl) return { status: 'not_used', mode: 'embedded' };
    if (this.mode !== 'mosquitto-dynsec' || !this.keeping) return { status: 'not_used', mode: this.mode };
    // lastError is cleared by the next successful reconciliation.
    const error = this.dynsec.connected ? this.lastError : (this.lastError ?? 'the control connection to the broker is down');
    return {
      status: error ? 'error' : 'ok',
      mode: this.mode,
      agrees: error ? false : this.lastReport?.agrees,
      error,
      lastReconciliation: this.lastReport,
    };
  }

  onApplicationShutdown(): void {
    clearTimeout(this.kickTimer);
  }

  private async runReconciliation(): Promise<ReconciliationReport> {
    const started = this.clock.monotonic();
    try {
      // The broker first, then the registry: a device provisioned in between is in the registry
      // and not yet at the broker, and the provisioning's own write wins over the placeholder.
      const clients = await this.dynsec.listClients();
      const registry = await this.devices.listStates();
      const untouchable = new Set([this.config.mqtt.username ?? '']);
      const plan = await this.freshen(planReconciliation(registry, clients, untouchable));
      const failed = new Map<string, string>();
      const merge = (more: Map<string, string>) => more.forEach((error, id) => failed.set(id, error));
      if (planChangesBroker(plan)) {
        merge(await this.dynsec.createWithoutSecret(plan.create, () => this.crypto.newSecret()));
        merge(await this.dynsec.adopt(plan.adopt));
        merge(await this.dynsec.grant(plan.grant));
        merge(await this.dynsec.disable(plan.disable));
        merge(await this.dynsec.enable(plan.enable));
      }
      const report: ReconciliationReport = {
        at: new Date(started).toISOString(),
        durationMs: Math.round(this.clock.monotonic() - started),
        fixed: {
          created: plan.create.filter((id) => !failed.has(id)).length,
          adopted: plan.adopt.filter((id) => !failed.has(id)).length,
          permissionsRestored: plan.grant.filter((id) => !failed.has(id)).length,
          disabled: plan.disable.filter((id) => !failed.has(id)).length,
          enabled: plan.enable.filter((id) => !failed.has(id)).length,
        },
        needsSecretRotation: { count: plan.needsSecret.length, ids: plan.needsSecret.slice(0, LISTED_IDS) },
        failed: { count: failed.size, items: [...failed].slice(0, LISTED_IDS).map(([id, error]) => ({ id, error })) },
        unknownToRegistry: { count: plan.unknown.length, ids: plan.unknown.slice(0, LISTED_IDS) },
        agrees: plan.needsSecret.length === 0 && failed.size === 0,
      };
      this.record(plan, report);
      return report;
    } catch (error) {
      this.lastError = `reconciliation failed: ${(error as Error).message}`;
      this.metrics.brokerRegistryReconciliations.inc({ outcome: 'error' });
      this.logger.error(this.lastError);
      throw error;
    }
  }

  /** Reads again, just before changing the broker, the registry state of the devices about to be enabled or disabled. */
  private async freshen(plan: ReconciliationPlan): Promise<ReconciliationPlan> {
    const unknown = new Set(plan.unknown);
    const ids = [...plan.enable, ...plan.disable.filter((id) => !unknown.has(id))];
    if (ids.length === 0) return plan;
    const now = new Map((await this.devices.listStates(ids)).map((d) => [d.id, d.disabled]));
    return {
      ...plan,
      enable: plan.enable.filter((id) => now.get(id) === false),
      disable: plan.disable.filter((id) => unknown.has(id) || now.get(id) === true),
    };
  }

  private record(plan: ReconciliationPlan, report: ReconciliationReport): void {
    this.lastReport = report;
    this.lastError = undefined;
    this.metrics.brokerRegistryReconciliations.inc({ outcome: report.agrees ? 'agrees' : 'differs' });
    const found: Record<string, number> = {
      missing: plan.create.length,
      adopted: plan.adopt.length,
      permissions_missing: plan.grant.length,
      should_be_disabled: plan.disable.length,
      should_be_enabled: plan.enable.length,
      unknown_to_registry: plan.unknown.length,
      needs_secret_rotation: plan.needsSecret.length,
      failed: report.failed.count,
    };
    for (const [kind, n] of Object.entries(found)) this.metrics.brokerRegistryDifferences.set({ kind }, n);
    const summary = Object.entries(found)
      .filter(([, n]) => n > 0)
      .map(([kind, n]) => `${kind} ${n}`)
      .join(', ');
    if (!summary) return this.logger.log(`broker and registry agree (${report.durationMs} ms)`);
    const rotate = report.needsSecretRotation.count > 0 ? `; rotate the secret of ${report.needsSecretRotation.ids.join(', ')}${report.needsSecretRotation.count > LISTED_IDS ? ' …' : ''} to let them in again` : '';
    this.logger.warn(`broker reconciled with the registry: ${summary}${rotate}`);
  }

  private async disconnect(id: string, operation: 'disable' | 'rotate'): Promise<void> {
    if (!this.emqx.configured) return;
    try {
      await this.emqx.kick(id);
      this.pendingKicks.delete(id);
      this.count(`${operation}_disconnect`, 1, 0);
    } catch (error) {
      this.count(`${operation}_disconnect`, 0, 1);
      this.logger.warn(`could not disconnect ${id} through EMQX's REST API (${(error as Error).message}); retrying`);
      this.pendingKicks.add(id);
      this.scheduleKicks();
    }
  }

  private scheduleKicks(): void {
    if (this.kickTimer) return;
    this.kickTimer = setTimeout(() => {
      this.kickTimer = undefined;
      void (async () => {
        for (const id of [...this.pendingKicks]) {
          try {
            await this.emqx.kick(id);
            this.pendingKicks.delete(id);
          } catch {
            break;
          }
        }
        if (this.pendingKicks.size > 0) this.scheduleKicks();
      })();
    }, KICK_RETRY_MS);
    this.kickTimer.unref();
  }

  private count(operation: string, ok: number, failed: number): void {
    if (ok > 0) this.metrics.brokerRegistryChanges.inc({ operation, outcome: 'ok' }, ok);
    if (failed > 0) this.metrics.brokerRegistryChanges.inc({ operation, outcome: 'failed' }, failed);
  }
}
