import { covers } from './access.service';
import type { AuthUser } from './auth-user';

const community = { id: 'c1', district: '天河区', street: '林和街道' };
const user = (scope: AuthUser['scope']): AuthUser => ({ id: 'u', username: 'u', role: 'property_staff', scope });

describe('scope coverage', () => {
  it.each([
    [{ level: 'platform' } as const, true],
    [{ level: 'community', communityIds: ['c1'] } as const, true],
    [{ level: 'community', communityIds: ['c2'] } as const, false],
    [{ level: 'street', street: '林和街道', district: '天河区' } as const, true],
    [{ level: 'street', street: '林和街道', district: '越秀区' } as const, false],
    [{ level: 'street', street: '石牌街道', district: '天河区' } as const, false],
    [{ level: 'district', district: '天河区' } as const, true],
    [{ level: 'district', district: '海珠区' } as const, false],
  ])('%j covers the community: %s', (scope, expected) => {
    expect(covers(user(scope as AuthUser['scope']), community)).toBe(expected);
  });
});
