import { Body, Controller, Get, HttpCode, Ip, Param, Patch, Post, Put } from '@nestjs/common';
import { ApiBearerAuth, ApiTags } from '@nestjs/swagger';
import { ZodResponse } from 'nestjs-zod';
import { Permission } from '../domain/permissions';
import { Allow, Auth, Public } from '../middleware/auth.guard';
import { AuthService } from '../services/auth.service';
import type { AuthUser } from '../services/auth-user';
import { AuthUserDto, ChangePasswordDto, CreateUserDto, LoginDto, PasswordSetDto, RefreshDto, TokenPairDto, SetPasswordDto, UpdateUserDto, UserDto, UuidParamDto } from './dtos';

@ApiTags('auth')
@Controller('api/v1')
export class AuthController {
  constructor(private readonly auth: AuthService) {}

  /** → { accessToken, expiresIn, refreshToken, refreshExpiresIn } */
  @Public()
  @Post('auth/login')
  @ZodResponse({ status: 200, type: TokenPairDto })
  login(@Body() dto: LoginDto, @Ip() source: string) {
    return this.auth.login(dto.username, dto.password, source);
  }

  /** A refresh token for a new pair; the one sent is spent. */
  @Public()
  @Post('auth/refresh')
  @ZodResponse({ status: 200, type: TokenPairDto })
  refresh(@Body() dto: RefreshDto) {
    return this.auth.refresh(dto.refreshToken);
  }

  /** Ends the session of the refresh token (works with an expired access token too). */
  @Public()
  @Post('auth/logout')
  @HttpCode(204)
  async logout(@Body() dto: RefreshDto) {
    await this.auth.logout(dto.refreshToken);
  }

  @ApiBearerAuth()
  @Allow(Permission.Self)
  @Get('auth/me')
  @ZodResponse({ status: 200, type: AuthUserDto })
  me(@Auth() user: AuthUser) {
    return user;
  }

  /** Self-service: the current password and a new one; other sessions end, new tokens are returned. */
  @ApiBearerAuth()
  @Allow(Permission.Self)
  @Post('auth/password')
  @ZodResponse({ status: 200, type: TokenPairDto })
  changePassword(@Auth() user: AuthUser, @Body() dto: ChangePasswordDto) {
    return this.auth.changeOwnPassword(user, dto.currentPassword, dto.newPassword);
  }

  @ApiBearerAuth()
  @Allow(Permission.UserManage)
  @Post('users')
  @ZodResponse({ status: 201, type: AuthUserDto })
  createUser(@Auth() user: AuthUser, @Body() dto: CreateUserDto) {
    return this.auth.createUser(user, dto);
  }

  @ApiBearerAuth()
  @Allow(Permission.UserManage)
  @Get('users')
  @ZodResponse({ status: 200, type: [UserDto] })
  listUsers() {
    return this.auth.listUsers();
  }

  /** Role, scope, display name, disabled; a new role or scope, or disabling, ends the user's sessions at once. */
  @ApiBearerAuth()
  @Allow(Permission.UserManage)
  @Patch('users/:id')
  @ZodResponse({ status: 200, type: UserDto })
  updateUser(@Auth() user: AuthUser, @Param() { id }: UuidParamDto, @Body() dto: UpdateUserDto) {
    return this.auth.updateUser(user, id, dto);
  }

  @ApiBearerAuth()
  @Allow(Permission.UserManage)
  @Put('users/:id/password')
  @ZodResponse({ status: 200, type: PasswordSetDto })
  setPassword(@Auth() user: AuthUser, @Param() { id }: UuidParamDto, @Body() dto: SetPasswordDto) {
    return this.auth.setPassword(user, id, dto.password);
  }
}
