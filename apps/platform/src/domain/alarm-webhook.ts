/**
 * Outgoing alarm webhooks (pure): the body in each format and its signature.
 * - json: our payload; header X-Spp-Signature = "sha256=" + hex HMAC-SHA256(secret, `${timestamp}.${body}`),
 *   X-Spp-Timestamp = timestamp (ms), so a receiver can reject replays.
 * - wecom: the WeCom (企业微信) group robot text message; the robot key is part of the URL.
 * - dingtalk: the DingTalk (钉钉) robot text message, signed the DingTalk way
 *   (timestamp and sign = base64 HMAC-SHA256(secret, `${timestamp}\n${secret}`) in the query).
 */
import { createHmac } from 'node:crypto';
import type { AlarmEvent } from '@app/contracts';

export interface WebhookMessage {
  kind: 'notify' | 'escalation' | 'reminder';
  tier: number;
  tierName: string;
  alarm: AlarmEvent;
  deviceName?: string;
}

export interface SignedDelivery {
  url: string;
  body: string;
  headers: Record<string, string>;
}

const severityZh = ['', '紧急', '严重', '一般', '提示', '信息'];

export function textOf(m: WebhookMessage): string {
  const a = m.alarm;
  const when = new Date(a.ts).toISOString();
  const head = m.kind === 'reminder' ? '【告警提醒】' : m.kind === 'escalation' && m.tier > 0 ? `【告警升级·第${m.tier + 1}级】` : '【告警】';
  return `${head}${severityZh[a.severity] ?? a.severity}级 ${a.type}\n设备 ${m.deviceName ?? a.deviceId}\n时间 ${when}\n次数 ${a.count}\n告警编号 ${a.alarmId}`;
}

export function signedDelivery(format: 'json' | 'wecom' | 'dingtalk', url: string, secret: string, m: WebhookMessage, now: number): SignedDelivery {
  const ts = String(now);
  if (format === 'json') {
    const body = JSON.stringify({ event: `alarm.${m.kind}`, tier: m.tier, tierName: m.tierName, alarm: m.alarm, sentAt: now });
    return { url, body, headers: { 'x-spp-timestamp': ts, 'x-spp-signature': `sha256=${createHmac('sha256', secret).update(`${ts}.${body}`).digest('hex')}` } };
  }
  const body = JSON.stringify({ msgtype: 'text', text: { content: textOf(m) } });
  if (format === 'wecom') return { url, body, headers: {} };
  const sign = createHmac('sha256', secret).update(`${ts}\n${secret}`).digest('base64');
  const u = new URL(url);
  u.searchParams.set('timestamp', ts);
  u.searchParams.set('sign', sign);
  return { url: u.toString(), body, headers: {} };
}

/** Checks a json-format signature (what a receiver does). */
export function verifySignature(secret: string, timestamp: string, body: string, signature: string): boolean {
  return signature === `sha256=${createHmac('sha256', secret).update(`${timestamp}.${body}`).digest('hex')}`;
}
