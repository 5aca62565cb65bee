import { BadRequestException, ConflictException, HttpException, HttpStatus, Injectable, NotFoundException, ServiceUnavailableException, UnauthorizedException } from '@nestjs/common';
import type { CreateBookingRequest } from '@app/contracts';
import { InjectConfig } from '../config/config.provider';
import type { PlatformConfig } from '../config/config';
import { TokenBuckets } from '../domain/token-bucket';
import { CODE_TTL_MS, codeDigest, judgeCode, maskMobile, newCode, normalizeMobile } from '../domain/visitor-code';
import { AuditRepository } from '../repositories/audit.repository';
import { BillingRepository } from '../repositories/billing.repository';
import { ClockRepository } from '../repositories/clock.repository';
import { CryptoRepository } from '../repositories/crypto.repository';
import { MetricsRepository } from '../repositories/metrics.repository';
import { ParkingRepository } from '../repositories/parking.repository';
import { SmsRepository } from '../repositories/sms.repository';
import { VisitorRepository } from '../repositories/visitor.repository';
import { AccessService } from './access.service';
import { AuthService } from './auth.service';
import type { AuthUser } from './auth-user';
import { mapBill } from './billing.service';
import { ParkingBookingService, type bookingDto } from './parking-booking.service';

const HOUR_S = 3600;
/** Codes one number may be sent at once before the hourly rate applies. */
const PHONE_BURST = 3;
/** Code requests one address may make at once before the hourly rate applies. */
const ADDRESS_BURST = 10;
/** The one answer to a wrong, expired, used-up or never-sent code: nothing tells them apart. */
const BAD_CODE = 'the code is wrong or no longer valid: ask for a new one';

const visitorBooking = (b: ReturnType<typeof bookingDto>) => ({
  id: b.id,
  communityId: b.communityId,
  slotId: b.slotId,
  plate: b.plate,
  startsAt: b.startsAt,
  endsAt: b.endsAt,
  arrivalGraceMin: b.arrivalGraceMin,
  departureGraceMin: b.departureGraceMin,
  status: b.status,
  lateCancel: b.lateCancel,
});

/**
 * Visitors from outside the estate (issue 13 §7): prove a mainland mobile number with a one-time
 * SMS code, then search the shared slots of communities that admit visitors, book one with
 * their plate, cancel it, and see (and pay, online-payment.service.ts) their own bills. Bookings
 * are ordinary bookings (parking-booking.service.ts), so the gates admit them as any other.
 */
@Injectable()
export class VisitorService {
  private readonly byPhone: TokenBuckets;
  private readonly byAddress: TokenBuckets;
  private unusableHash?: Promise<string>;

  constructor(
    @InjectConfig() private readonly config: PlatformConfig,
    private readonly repo: VisitorRepository,
    private readonly bills: BillingRepository,
    private readonly sms: SmsRepository,
    private readonly auth: AuthService,
    private readonly bookings: ParkingBookingService,
    private readonly parking: ParkingRepository,
    private readonly access: AccessService,
    private readonly crypto: CryptoRepository,
    private readonly metrics: MetricsRepository,
    private readonly audit: AuditRepository,
    private readonly clock: ClockRepository,
  ) {
    this.byPhone = new TokenBuckets(config.visitors.codesPerPhonePerHour / HOUR_S, PHONE_BURST);
    this.byAddress = new TokenBuckets(config.visitors.codesPerAddressPerHour / HOUR_S, ADDRESS_BURST);
  }

  private requireSms(): void {
    if (!this.sms.enabled) throw new ServiceUnavailableException('visitor booking is not available: no SMS gateway is configured on this platform (SMS_TENCENT_*)');
  }

  /**
   * Sends a code to the number. The answer is the same whether or not the number has been seen
   * before; the rates per number and per source address are limited and counted.
   */
  async requestCode(phoneInput: string, source: string) {
    this.requireSms();
    const phone = normalizeMobile(phoneInput);
    if (!phone) throw new BadRequestException({ message: 'not a mainland mobile number', fields: [{ path: 'phone', message: 'expected 11 digits, 1 then 3-9' }] });
    const now = this.clock.now();
    if (!this.byAddress.take(source, now)) return this.throttled('throttled_address');
    if (!this.byPhone.take(phone, now)) return this.throttled('throttled_phone');
    const code = newCode();
    await this.repo.saveCode(phone, codeDigest(this.config.auth.jwtSecret, phone, code), new Date(now + CODE_TTL_MS));
    try {
      await this.sms.sendCode(phone, code, CODE_TTL_MS / 60_000);
    } catch (error) {
      this.metrics.visitorCodes.inc({ outcome: 'gateway_error' });
      throw error;
    }
    this.metrics.visitorCodes.inc({ outcome: 'sent' });
    return { phone: maskMobile(phone), expiresInS: CODE_TTL_MS / 1000 };
  }

  private throttled(outcome: 'throttled_phone' | 'throttled_address'): never {
    this.metrics.visitorCodes.inc({ outcome });
    throw new HttpException({ message: 'too many codes asked for: wait a while and try again' }, HttpStatus.TOO_MANY_REQUESTS);
  }

  /** Checks the code (five tries, five minutes, used once) and opens the visitor's session. */
  async signIn(phoneInput: string, code: string) {
    this.requireSms();
    const phone = normalizeMobile(phoneInput);
    if (!phone) throw new UnauthorizedException(BAD_CODE);
    const digest = codeDigest(this.config.auth.jwtSecret, phone, code);
    const stored = await this.repo.countTry(phone);
    const verdict = judgeCode(stored, digest, this.clock.now());
    if (!verdict.ok) {
      this.metrics.visitorSignIns.inc({ outcome: verdict.reason });
      throw new UnauthorizedException(BAD_CODE);
    }
    await this.repo.deleteCode(phone, digest);
    this.metrics.visitorSignIns.inc({ outcome: 'success' });
    this.unusableHash ??= this.crypto.hash(this.crypto.newSecret());
    const visitor = await this.repo.findOrCreateVisitor(phone, maskMobile(phone), await this.unusableHash);
    if (visitor.disabled) throw new UnauthorizedException(BAD_CODE);
    await this.audit.record({ actorId: visitor.id, action: 'visitor.signed_in', subjectType: 'user', subjectId: visitor.id, detail: { phone: maskMobile(phone) } });
    const session = await this.auth.visitorSession(visitor);
    return { ...session, phone: maskMobile(phone) };
  }

  communities() {
    return this.repo.communitiesAdmitting();
  }

  /** Free shared slots of a community that admits visitors (others: 404), without anything of their owners. */
  async search(user: AuthUser, communityId: string, from: number, to: number) {
    const slots = await this.bookings.search(user, communityId, from, to);
    return slots.map((s) => ({ id: s.id, communityId: s.communityId, code: s.code, location: s.location, freeIntervals: s.freeIntervals }));
  }

  /** One live booking at a time per visitor; otherwise as any booking (availability, plate, no overlap). */
  async book(user: AuthUser, dto: CreateBookingRequest) {
    const live = (await this.parking.bookingsOfUser(user.id)).filter((b) => b.status === 'booked' || b.status === 'active');
    if (live.length > 0) throw new ConflictException('a visitor holds one booking at a time: cancel it or wait until it ends');
    return visitorBooking(await this.bookings.book(user, dto));
  }

  async myBookings(user: AuthUser) {
    return (await this.bookings.myBookings(user)).map(visitorBooking);
  }

  /** Their own bookings only: another's answers 404 like one that does not exist. */
  async cancel(user: AuthUser, bookingId: string) {
    const booking = await this.parking.findBooking(bookingId);
    if (!booking || booking.user_id !== user.id) throw new NotFoundException(`booking ${bookingId} not found`);
    return visitorBooking(await this.bookings.cancel(user, bookingId));
  }

  /** The bills of the visitor's own stays; the slot owner and the split are not shown. */
  async myBills(user: AuthUser) {
    return (await this.bills.billsOfGuest(user.id)).map((b) => {
      const m = mapBill(b);
      return { id: m.id, communityId: m.communityId, plate: m.plate, entryAt: m.entryAt, exitAt: m.exitAt, amountFen: m.amountFen, paidFen: m.paidFen, refundedFen: m.refundedFen, status: m.status };
    });
  }

  /** Property staff let a community's shared slots be booked by visitors, or stop it (bookings made stay). */
  async setCommunityAdmits(user: AuthUser, communityId: string, allowed: boolean) {
    await this.access.requireInScope(user, communityId);
    await this.repo.setVisitorsAllowed(communityId, allowed);
    await this.audit.record({ actorId: user.id, action: 'visitor.community.set', subjectType: 'community', subjectId: communityId, detail: { visitorsAllowed: allowed } });
    return { communityId, visitorsAllowed: allowed };
  }
}
