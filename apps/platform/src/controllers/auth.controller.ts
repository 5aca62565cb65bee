import { Body, Controller, Get, HttpCode, Post } from '@nestjs/common';
import { ApiBearerAuth, ApiTags } from '@nestjs/swagger';
import { Auth, Public } from '../middleware/auth.guard';
import { AccessService } from '../services/access.service';
import { AuthService } from '../services/auth.service';
import type { AuthUser } from '../services/auth-user';
import { CreateUserDto, LoginDto } from './dtos';

@ApiTags('auth')
@Controller('api/v1')
export class AuthController {
  constructor(
    private readonly auth: AuthService,
    private readonly access: AccessService,
  ) {}

  @Public()
  @Post('auth/login')
  @HttpCode(200)
  login(@Body() dto: LoginDto) {
    return this.auth.login(dto.username, dto.password);
  }

  @ApiBearerAuth()
  @Get('auth/me')
  me(@Auth() user: AuthUser) {
    return user;
  }

  @ApiBearerAuth()
  @Post('users')
  async createUser(@Auth() user: AuthUser, @Body() dto: CreateUserDto) {
    this.access.requireRole(user, ['platform_admin'], 'create users');
    return this.auth.createUser(user, dto);
  }
}
