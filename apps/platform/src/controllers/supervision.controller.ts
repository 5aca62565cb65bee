import { Controller, Get, Param } from '@nestjs/common';
import { ApiBearerAuth, ApiTags } from '@nestjs/swagger';
import { ZodResponse } from 'nestjs-zod';
import { Permission } from '../domain/permissions';
import { Allow, Auth } from '../middleware/auth.guard';
import type { AuthUser } from '../services/auth-user';
import { SupervisionService } from '../services/supervision.service';
import { SupervisionCommunityParamDto, SupervisionRowDto } from './supervision.dtos';

@ApiTags('supervision')
@ApiBearerAuth()
@Controller('api/v1/supervision')
export class SupervisionController {
  constructor(private readonly supervision: SupervisionService) {}

  @Allow(Permission.SupervisionRead)
  @Get('overview')
  @ZodResponse({ status: 200, type: [SupervisionRowDto] })
  overview(@Auth() user: AuthUser) {
    return this.supervision.overview(user);
  }

  @Allow(Permission.SupervisionRead)
  @Get('communities/:id')
  @ZodResponse({ status: 200, type: SupervisionRowDto })
  community(@Auth() user: AuthUser, @Param() { id }: SupervisionCommunityParamDto) {
    return this.supervision.community(user, id);
  }
}
