/**
 * Fund-account postings pushed live (issue 13 §4 "an owner sees their own balance and movements
 * live"), with the repositories mocked (tests/support/new-test-service.ts): a posting's event
 * leaves only after its transaction committed, never for one rolled back, and names the unit's
 * verified owners. Delivery through real sockets and rooms: tests/e2e/fund-accounts-live.e2e-spec.ts.
 */
import { ConflictException } from '@nestjs/common';
import { newTestService } from '../../../../tests/support/new-test-service';
import { PLATFORM_CONFIG } from '../config/config.provider';
import { ClockRepository } from '../repositories/clock.repository';
import { FundAccountRepository } from '../repositories/fund-account.repository';
import { UnitRepository } from '../repositories/unit.repository';
import { WebsocketRepository } from '../repositories/websocket.repository';
import { AccessService } from './access.service';
import type { AuthUser } from './auth-user';
import { FundAccountService } from './fund-account.service';

const NOW = Date.parse('2026-03-02T02:00:00Z');
const C = '00000000-0000-4000-8000-00000000000c';
const U = '00000000-0000-4000-8000-0000000000a1';
const authority: AuthUser = { id: 'u-auth', username: 'authority', role: 'district_authority', scope: { level: 'district', district: '鼓楼区' } };
const staff: AuthUser = { id: 'u-staff', username: 'staff', role: 'property_staff', scope: { level: 'community', communityIds: [C] } };

function setup(commit: () => Promise<void> = async () => undefined) {
  const t = newTestService(FundAccountService, new Map([[PLATFORM_CONFIG, { timeZone: 'Asia/Shanghai' }]]));
  const order: string[] = [];
  const ledger = t.mock(FundAccountRepository);
  t.mock(ClockRepository).now.mockReturnValue(NOW);
  ledger.unit.mockResolvedValue({ unitId: U, communityId: C, building: '1栋', number: '101', floorArea: '90.00' });
  ledger.transaction.mockImplementation(async (fn) => {
    const result = await fn({} as never);
    await commit();
    order.push('commit');
    return result;
  });
  ledger.post.mockResolvedValue('e1');
  ledger.entryMovements.mockResolvedValue([{ entryId: 'e1', kind: 'fund_deposit', memo: 'deposit S1', unitId: U, communityId: C, bookedOn: '2026-03-01', fen: 20_000n }]);
  ledger.balances.mockResolvedValue(new Map([[U, 25_000n]]));
  t.mock(UnitRepository).verifiedOwnersOf.mockResolvedValue(new Map([[U, ['u-o1', 'u-o2']]]));
  t.mock(WebsocketRepository).emitToCommunity.mockImplementation(() => void order.push('emit'));
  t.mock(AccessService).requireInScope.mockResolvedValue({ id: C } as never);
  return { ...t, order };
}

describe('FundAccountService live movements', () => {
  it('pushes a deposit to the unit’s verified owners and the community once the posting committed, with the balance read after it', async () => {
    const { sut, mock, order } = setup();
    await sut.deposit(authority, U, { amountFen: 20_000, reference: 'S1', depositedOn: '2026-03-01' });
    expect(order).toEqual(['commit', 'emit']);
    expect(mock(WebsocketRepository).emitToCommunity).toHaveBeenCalledWith(C, 'fund.account.movement', {
      communityId: C,
      unitId: U,
      entryId: 'e1',
      kind: 'fund_deposit',
      bookedOn: '2026-03-01',
      amountFen: 20_000,
      memo: 'deposit S1',
      balanceFen: 25_000,
      ownerIds: ['u-o1', 'u-o2'],
      ts: NOW,
    });
  });

  it('pushes nothing for a posting rolled back: refused inside its transaction, or failing at commit', async () => {
    const refused = setup();
    refused.mock(FundAccountRepository).lockCommonIncome.mockResolvedValue(100n);
    await expect(refused.sut.transfer(staff, C, { amountFen: 101, reference: 'T1', postedOn: '2026-03-01' })).rejects.toThrow(ConflictException);
    refused.mock(FundAccountRepository).post.mockResolvedValue(null); // booked already
    await expect(refused.sut.deposit(authority, U, { amountFen: 1, reference: 'S1', depositedOn: '2026-03-01' })).rejects.toThrow(ConflictException);
    expect(refused.mock(WebsocketRepository).emitToCommunity).not.toHaveBeenCalled();

    const failing = setup(() => Promise.reject(new Error('could not serialize access')));
    await expect(failing.sut.deposit(authority, U, { amountFen: 1, reference: 'S2', depositedOn: '2026-03-01' })).rejects.toThrow('could not serialize');
    expect(failing.mock(WebsocketRepository).emitToCommunity).not.toHaveBeenCalled();
  });

  it('a posting that committed stands when pushing it fails', async () => {
    const { sut, mock } = setup();
    mock(FundAccountRepository).entryMovements.mockRejectedValue(new Error('connection lost'));
    await expect(sut.deposit(authority, U, { amountFen: 20_000, reference: 'S1', depositedOn: '2026-03-01' })).resolves.toMatchObject({ entryId: 'e1' });
    expect(mock(WebsocketRepository).emitToCommunity).not.toHaveBeenCalled();
  });
});
