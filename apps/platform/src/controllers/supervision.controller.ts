import { Controller, Get, Param } from '@nestjs/common';
import { ApiBearerAuth, ApiTags } from '@nestjs/swagger';
import { Auth } from '../middleware/auth.guard';
import type { AuthUser } from '../services/auth-user';
import { SupervisionService } from '../services/supervision.service';
import { SupervisionCommunityParamDto } from './supervision.dtos';

@ApiTags('supervision')
@ApiBearerAuth()
@Controller('api/v1/supervision')
export class SupervisionController {
  constructor(private readonly supervision: SupervisionService) {}

  @Get('overview')
  overview(@Auth() user: AuthUser) {
    return this.supervision.overview(user);
  }

  @Get('communities/:id')
  community(@Auth() user: AuthUser, @Param() { id }: SupervisionCommunityParamDto) {
    return this.supervision.community(user, id);
  }
}
