import { randomUUID } from 'node:crypto';
import { Injectable } from '@nestjs/common';

/** A charge or refund request to a payment provider; amounts in integer fen. */
export interface PaymentRequest {
  billId: string;
  amountFen: bigint;
  /** Receipt number or the caller's own reference; a provider may issue its own instead. */
  reference?: string;
}

export interface PaymentResult {
  status: 'succeeded' | 'pending' | 'failed';
  /** The provider's reference, unique per provider: recording the same one twice is refused. */
  providerRef: string;
  message?: string;
  /** Where the payer completes a pending payment (an online provider's QR code content). */
  payUrl?: string;
}

/**
 * A way to collect money: cash at the gate booth today, a bank or online gateway later. Online
 * providers are outside systems and implement this interface in their own repository class.
 */
export interface PaymentProvider {
  readonly name: string;
  /** Paid by the payer through the provider (an order, then its notification): never recorded by staff. */
  readonly online?: boolean;
  charge(request: PaymentRequest): Promise<PaymentResult>;
  /** originalAmountFen: what the refunded payment was (online providers check a refund against it). */
  refund(request: PaymentRequest & { originalRef: string; originalAmountFen?: bigint }): Promise<PaymentResult>;
}

/** Cash (offline): the staff member took the money; the receipt number is the reference. */
export class OfflineCashProvider implements PaymentProvider {
  readonly name = 'cash';

  async charge(request: PaymentRequest): Promise<PaymentResult> {
    return { status: 'succeeded', providerRef: request.reference ?? `cash-${randomUUID()}` };
  }

  async refund(request: PaymentRequest & { originalRef: string }): Promise<PaymentResult> {
    return { status: 'succeeded', providerRef: request.reference ?? `cash-refund-${randomUUID()}` };
  }
}

/** The payment providers of this process, by name. Register online gateways with register(). */
@Injectable()
export class PaymentProviderRepository {
  private readonly providers = new Map<string, PaymentProvider>();

  constructor() {
    this.register(new OfflineCashProvider());
  }

  register(provider: PaymentProvider): void {
    this.providers.set(provider.name, provider);
  }

  get(name: string): PaymentProvider | undefined {
    return this.providers.get(name);
  }

  names(): string[] {
    return [...this.providers.keys()];
  }
}
