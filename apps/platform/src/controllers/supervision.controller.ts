import { Controller, Get, Param } from '@nestjs/common';
import { ApiBearerAuth, ApiTags } from '@nestjs/swagger';
import { Permission } from '../domain/permissions';
import { Allow, Auth } from '../middleware/auth.guard';
import type { AuthUser } from '../services/auth-user';
import { SupervisionService } from '../services/supervision.service';
import { SupervisionCommunityParamDto } from './supervision.dtos';

@ApiTags('supervision')
@ApiBearerAuth()
@Controller('api/v1/supervision')
export class SupervisionController {
  constructor(private readonly supervision: SupervisionService) {}

  @Allow(Permission.SupervisionRead)
  @Get('overview')
  overview(@Auth() user: AuthUser) {
    return this.supervision.overview(user);
  }

  @Allow(Permission.SupervisionRead)
  @Get('communities/:id')
  community(@Auth() user: AuthUser, @Param() { id }: SupervisionCommunityParamDto) {
    return this.supervision.community(user, id);
  }
}
