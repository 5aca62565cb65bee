import { Controller, Get, Res } from '@nestjs/common';
import { ApiExcludeController } from '@nestjs/swagger';
import type { Response } from 'express';
import { Public } from '../middleware/auth.guard';
import { HealthService } from '../services/health.service';

@ApiExcludeController()
@Public()
@Controller()
export class HealthController {
  constructor(private readonly health: HealthService) {}

  @Get('health')
  async check(@Res() res: Response) {
    const result = await this.health.check();
    res.status(result.status === 'ok' ? 200 : 503).json(result);
  }

  @Get('metrics')
  async metrics(@Res() res: Response) {
    const { contentType, body } = await this.health.prometheus();
    res.type(contentType).send(body);
  }

  @Get()
  root(@Res() res: Response) {
    res.redirect(302, '/dashboard/');
  }
}
