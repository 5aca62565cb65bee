import { Inject } from '@nestjs/common';

export const PLATFORM_CONFIG = Symbol('PLATFORM_CONFIG');
/** Injects the validated PlatformConfig. */
export const InjectConfig = () => Inject(PLATFORM_CONFIG);
