import { Injectable, OnModuleInit } from '@nestjs/common';
import { WebsocketRepository } from './repositories/websocket.repository';
import { AlarmDispatchService } from './services/alarm-dispatch.service';
import { AlarmService } from './services/alarm.service';
import { BrokerService } from './services/broker.service';
import { PresenceService } from './services/presence.service';
import { TelemetryService } from './services/telemetry.service';

/**
 * The hooks between services that can be neither a constructor dependency (it would be a cycle)
 * nor an event on the bus (the caller needs an answer), all set here at start-up. Changes that
 * only need telling travel on the event bus (in process) or RedisRepository.notify (every process).
 */
@Injectable()
export class ServiceWiring implements OnModuleInit {
  constructor(
    private readonly alarms: AlarmService,
    private readonly dispatch: AlarmDispatchService,
    private readonly broker: BrokerService,
    private readonly presence: PresenceService,
    private readonly telemetry: TelemetryService,
    private readonly websocket: WebsocketRepository,
  ) {}

  onModuleInit(): void {
    // Escalation raises arrival_overdue and clears alarms through the lifecycle, which itself starts dispatch.
    this.dispatch.setLifecycle({
      raise: (r) => this.alarms.raise(r),
      clearOpen: (deviceId, type) => this.alarms.clearByDevice(deviceId, type),
      announce: (alarm) => this.alarms.announce('alarm.updated', alarm),
    });
    this.presence.setConnectionProbe((deviceId) => this.broker.isConnected(deviceId));
    this.websocket.setHandlers(this.telemetry.socketHandlers());
  }
}
