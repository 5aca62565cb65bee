import type { Provider, Type } from '@nestjs/common';
import { SlotLotteryController } from '../controllers/lottery.controller';
import { ParkingController } from '../controllers/parking.controller';
import { VisitorAdmissionController, VisitorController, VisitorSignInController } from '../controllers/visitor.controller';
import { ParkingRepository } from '../repositories/parking.repository';
import { SlotLotteryRepository } from '../repositories/slot-lottery.repository';
import { SmsRepository } from '../repositories/sms.repository';
import { VisitorRepository } from '../repositories/visitor.repository';
import { ParkingBookingService } from '../services/parking-booking.service';
import { ParkingGateService } from '../services/parking-gate.service';
import { ParkingVehicleService } from '../services/parking-vehicle.service';
import { SlotLotteryService } from '../services/slot-lottery.service';
import { VisitorService } from '../services/visitor.service';

/** Time-shared parking: slots, share windows, bookings, gates, plates, parking sessions. Listed here, wired by app.module.ts. */
export const parkingControllers: Type[] = [ParkingController, SlotLotteryController, VisitorController, VisitorSignInController, VisitorAdmissionController];
export const parkingProviders: Provider[] = [ParkingRepository, ParkingGateService, ParkingBookingService, ParkingVehicleService, SlotLotteryRepository, SlotLotteryService, SmsRepository, VisitorRepository, VisitorService];
