import { CanActivate, ExecutionContext, ForbiddenException, Injectable, RequestMethod, SetMetadata, createParamDecorator, type INestApplicationContext } from '@nestjs/common';
import { DiscoveryService, MetadataScanner, Reflector } from '@nestjs/core';
import { METHOD_METADATA, PATH_METADATA } from '@nestjs/common/constants';
import type { Request } from 'express';
import { Permission, can } from '../domain/permissions';
import { AuthService } from '../services/auth.service';
import type { AuthUser } from '../services/auth-user';

const PUBLIC = 'spp:public';
const ALLOW = 'spp:allow';

/** Marks a route (or a controller) that needs no bearer token. */
export const Public = () => SetMetadata(PUBLIC, true);

/** The permissions of the table (domain/permissions.ts) that may call the route: any one of them suffices. */
export const Allow = (...permissions: [Permission, ...Permission[]]) => SetMetadata(ALLOW, permissions);

/** The authenticated user of the request. */
export const Auth = createParamDecorator((_: unknown, ctx: ExecutionContext): AuthUser => ctx.switchToHttp().getRequest<Request & { user: AuthUser }>().user);

/**
 * Every route is either @Public() or declares @Allow(Permission…): the caller needs a valid
 * access token and a role holding one of the permissions, else 401 / 403. A route with neither
 * is refused here and stops the start (assertEveryRouteDeclared).
 */
@Injectable()
export class AuthGuard implements CanActivate {
  constructor(
    private readonly reflector: Reflector,
    private readonly auth: AuthService,
  ) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    if (context.getType() !== 'http') return true;
    const targets = [context.getHandler(), context.getClass()];
    if (this.reflector.getAllAndOverride<boolean>(PUBLIC, targets)) return true;
    const allowed = this.reflector.getAllAndOverride<Permission[] | undefined>(ALLOW, targets);
    if (!allowed) throw new ForbiddenException('this route declares no permission');
    const request = context.switchToHttp().getRequest<Request & { user?: AuthUser }>();
    const header = request.headers.authorization;
    const token = header?.startsWith('Bearer ') ? header.slice(7) : undefined;
    const user = await this.auth.authenticate(token);
    request.user = user;
    if (!can(user, ...allowed)) throw new ForbiddenException(`role ${user.role} may not do this (needs ${allowed.join(' or ')})`);
    return true;
  }
}

export interface DeclaredRoute {
  controller: string;
  handler: string;
  method: string;
  /** e.g. /api/v1/alarms/:id */
  path: string;
  public: boolean;
  permissions: Permission[];
}

/** Every route handler with what it declares (for the start-up check and the permission-table test). */
export function declaredRoutes(app: INestApplicationContext): DeclaredRoute[] {
  const discovery = app.get(DiscoveryService);
  const scanner = app.get(MetadataScanner);
  const reflector = app.get(Reflector);
  const routes: DeclaredRoute[] = [];
  for (const wrapper of discovery.getControllers()) {
    const instance = wrapper.instance as object | undefined;
    if (!instance) continue;
    const prototype = Object.getPrototypeOf(instance) as Record<string, unknown>;
    const type = instance.constructor;
    for (const name of scanner.getAllMethodNames(prototype)) {
      const handler = prototype[name] as (...args: unknown[]) => unknown;
      const path = Reflect.getMetadata(PATH_METADATA, handler) as string | undefined;
      if (path === undefined) continue;
      const targets = [handler, type];
      routes.push({
        controller: type.name,
        handler: name,
        method: RequestMethod[Reflect.getMetadata(METHOD_METADATA, handler) as RequestMethod],
        path: `/${(Reflect.getMetadata(PATH_METADATA, type) as string | undefined) ?? ''}/${path}`.replace(/\/+/g, '/').replace(/(.)\/$/, '$1'),
        public: reflector.getAllAndOverride<boolean>(PUBLIC, targets) ?? false,
        permissions: reflector.getAllAndOverride<Permission[] | undefined>(ALLOW, targets) ?? [],
      });
    }
  }
  return routes;
}

/** Stops the start when a route declares neither @Public() nor @Allow(…): no route can be forgotten. */
export function assertEveryRouteDeclared(app: INestApplicationContext): void {
  const missing = declaredRoutes(app).filter((r) => !r.public && r.permissions.length === 0);
  if (missing.length > 0) {
    throw new Error(`routes without @Allow(Permission…) or @Public(): ${missing.map((r) => `${r.controller}.${r.handler}`).join(', ')}`);
  }
}
