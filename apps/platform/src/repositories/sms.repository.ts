import { lookup as dnsLookup, type LookupAddress, type LookupOptions } from 'node:dns';
import { Agent as HttpAgent } from 'node:http';
import { Agent as HttpsAgent } from 'node:https';
import { BadGatewayException, Injectable, Logger } from '@nestjs/common';
import { sms } from 'tencentcloud-sdk-nodejs-sms';
import { InjectConfig } from '../config/config.provider';
import type { PlatformConfig } from '../config/config';

const TIMEOUT_S = 10;

/** The SMS gateway refused or failed: the caller sees 502, not an internal error. */
export class SmsGatewayError extends BadGatewayException {}

type LookupCallback = (err: NodeJS.ErrnoException | null, address: string | LookupAddress[], family?: number) => void;

/** Names under .localhost are this machine (RFC 6761 §6.3), whatever the resolver says. */
function loopbackForLocalhost(hostname: string, options: LookupOptions, callback: LookupCallback): void {
  if (hostname === 'localhost' || hostname.endsWith('.localhost')) {
    if (options.all) callback(null, [{ address: '127.0.0.1', family: 4 }]);
    else callback(null, '127.0.0.1', 4);
    return;
  }
  dnsLookup(hostname, options, callback as never);
}

/**
 * Tencent Cloud SMS (短信, API 2021-01-11) through its official SDK: SendSms signed with
 * TC3-HMAC-SHA256. Sends a visitor's one-time code with the approved signature and template
 * ("{1}" the code, "{2}" the minutes it lasts). Off unless SMS_TENCENT_SECRET_ID is set.
 */
@Injectable()
export class SmsRepository {
  private readonly logger = new Logger(SmsRepository.name);
  private readonly client: InstanceType<typeof sms.v20210111.Client> | undefined;
  private readonly settings: PlatformConfig['sms'];

  constructor(@InjectConfig() config: PlatformConfig) {
    this.settings = config.sms;
    if (!this.settings) return;
    const url = new URL(this.settings.endpoint);
    const https = url.protocol === 'https:';
    const agentOptions = { keepAlive: true, lookup: loopbackForLocalhost as never };
    this.client = new sms.v20210111.Client({
      credential: { secretId: this.settings.secretId, secretKey: this.settings.secretKey },
      region: this.settings.region,
      profile: {
        httpProfile: {
          endpoint: url.host,
          protocol: `${url.protocol}//`,
          reqMethod: 'POST',
          reqTimeout: TIMEOUT_S,
          agent: https ? new HttpsAgent(agentOptions) : new HttpAgent(agentOptions),
        },
      },
    });
  }

  get enabled(): boolean {
    return this.client !== undefined;
  }

  /** Sends the code to a mainland number; throws SmsGatewayError when Tencent Cloud does not accept it. */
  async sendCode(phone: string, code: string, minutes: number): Promise<{ serialNo: string }> {
    if (!this.client || !this.settings) throw new SmsGatewayError('SMS is not configured');
    let answer: Awaited<ReturnType<typeof this.client.SendSms>>;
    try {
      answer = await this.client.SendSms({
        PhoneNumberSet: [`+86${phone}`],
        SmsSdkAppId: this.settings.sdkAppId,
        SignName: this.settings.signName,
        TemplateId: this.settings.templateId,
        TemplateParamSet: [code, String(minutes)],
      });
    } catch (error) {
      const e = error as { code?: string; message?: string };
      this.logger.warn(`Tencent Cloud SMS refused SendSms: ${e.code ?? 'error'} ${e.message ?? ''}`);
      throw new SmsGatewayError('the SMS gateway did not accept the message');
    }
    const status = answer.SendStatusSet?.[0];
    if (!status || status.Code !== 'Ok') {
      this.logger.warn(`Tencent Cloud SMS did not send: ${status?.Code ?? 'no status'} ${status?.Message ?? ''}`);
      throw new SmsGatewayError('the SMS gateway did not send the message');
    }
    return { serialNo: status.SerialNo ?? '' };
  }
}
