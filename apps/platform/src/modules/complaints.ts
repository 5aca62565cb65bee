import type { Provider, Type } from '@nestjs/common';
import { ComplaintController } from '../controllers/complaint.controller';
import { ComplaintRepository } from '../repositories/complaint.repository';
import { ComplaintService } from '../services/complaint.service';

/** Complaints and repair requests (接诉即办) with escalation to the supervising levels. Listed here, wired by app.module.ts. */
export const complaintsControllers: Type[] = [ComplaintController];
export const complaintsProviders: Provider[] = [ComplaintRepository, ComplaintService];
