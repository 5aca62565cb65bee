import { generateKeyPairSync } from 'node:crypto';
import {
  authorizationHeader,
  decryptResource,
  encryptResource,
  fenToYuan,
  parseAuthorization,
  parseTradeBill,
  requestMessage,
  responseMessage,
  signSha256Rsa,
  verifySha256Rsa,
  verifyWechatSignature,
  yuanToFen,
} from './wechat-pay';

// Seeds are silent on online payment: these follow the WeChat Pay API v3 rules
// (pay.weixin.qq.com/docs/merchant/development/interface-rules/signature-generation.html,
// …/signature-verification.html, …/certificate-callback-decryption.html, trade bill format).
const merchant = generateKeyPairSync('rsa', { modulusLength: 2048 });
const platform = generateKeyPairSync('rsa', { modulusLength: 2048 });
const APIV3_KEY = 'abcdefghijklmnopqrstuvwxyz012345';

describe('WeChat Pay v3 request signing', () => {
  it('signs METHOD\\npath?query\\ntimestamp\\nnonce\\nbody\\n, each part on its own line', () => {
    expect(requestMessage('post', '/v3/pay/transactions/native', '1554208460', '593BEC0C930BF1AFEB40B4A08C8FB242', '{"a":1}')).toBe(
      'POST\n/v3/pay/transactions/native\n1554208460\n593BEC0C930BF1AFEB40B4A08C8FB242\n{"a":1}\n',
    );
    expect(requestMessage('GET', '/v3/bill/tradebill?bill_date=2025-03-10&bill_type=ALL', '1', 'n', '')).toBe('GET\n/v3/bill/tradebill?bill_date=2025-03-10&bill_type=ALL\n1\nn\n\n');
  });

  it('builds a WECHATPAY2-SHA256-RSA2048 header whose signature verifies with the merchant public key, and only for that request', () => {
    const header = authorizationHeader({ mchid: '1900000001', serialNo: 'ABCDEF0123', privateKey: merchant.privateKey }, 'POST', '/v3/refund/domestic/refunds', '1700000000', 'nonce1', '{"x":1}');
    const fields = parseAuthorization(header)!;
    expect(fields).toEqual(expect.objectContaining({ mchid: '1900000001', serial_no: 'ABCDEF0123', timestamp: '1700000000', nonce_str: 'nonce1' }));
    expect(verifySha256Rsa(requestMessage('POST', '/v3/refund/domestic/refunds', '1700000000', 'nonce1', '{"x":1}'), fields.signature, merchant.publicKey)).toBe(true);
    expect(verifySha256Rsa(requestMessage('POST', '/v3/refund/domestic/refunds', '1700000000', 'nonce1', '{"x":2}'), fields.signature, merchant.publicKey)).toBe(false);
    expect(verifySha256Rsa(requestMessage('POST', '/v3/refund/domestic/refunds', '1700000000', 'nonce1', '{"x":1}'), fields.signature, platform.publicKey)).toBe(false);
  });

  it('refuses an Authorization header of another scheme or with a field missing', () => {
    expect(parseAuthorization('Bearer abc')).toBeNull();
    expect(parseAuthorization('WECHATPAY2-SHA256-RSA2048 mchid="1",nonce_str="n",timestamp="1",serial_no="s"')).toBeNull();
    expect(parseAuthorization(undefined)).toBeNull();
  });
});

describe('WeChat Pay v3 notification signature (Wechatpay-Timestamp, -Nonce, -Signature)', () => {
  const body = '{"id":"EV-2018022511223320873","resource":{}}';
  const signed = (key = platform.privateKey) => ({ 'wechatpay-timestamp': '1700000000', 'wechatpay-nonce': 'n0nce', 'wechatpay-signature': signSha256Rsa(responseMessage('1700000000', 'n0nce', body), key) });

  it('accepts the platform key signature over timestamp\\nnonce\\nbody\\n', () => {
    expect(verifyWechatSignature(signed(), body, platform.publicKey)).toBe(true);
  });

  it('refuses a changed body, another key, a changed timestamp, missing headers or garbage', () => {
    expect(verifyWechatSignature(signed(), body.replace('EV', 'XX'), platform.publicKey)).toBe(false);
    expect(verifyWechatSignature(signed(merchant.privateKey), body, platform.publicKey)).toBe(false);
    expect(verifyWechatSignature({ ...signed(), 'wechatpay-timestamp': '1700000001' }, body, platform.publicKey)).toBe(false);
    expect(verifyWechatSignature({ 'wechatpay-nonce': 'n0nce' }, body, platform.publicKey)).toBe(false);
    expect(verifyWechatSignature({ ...signed(), 'wechatpay-signature': 'not base64 at all!' }, body, platform.publicKey)).toBe(false);
  });
});

describe('AEAD_AES_256_GCM resources (APIv3 key, nonce, associated_data; tag at the end of the ciphertext)', () => {
  const plaintext = JSON.stringify({ out_trade_no: 'P1', trade_state: 'SUCCESS', amount: { total: 1500 } });

  it('decrypts what was encrypted with the same key, nonce and associated data', () => {
    const resource = encryptResource(plaintext, APIV3_KEY, 'fdasflkja484', 'transaction');
    expect(Buffer.from(resource.ciphertext, 'base64').length).toBe(Buffer.byteLength(plaintext) + 16);
    expect(decryptResource(resource, APIV3_KEY)).toBe(plaintext);
  });

  it('throws for another key, changed associated data or a changed ciphertext (the tag does not authenticate)', () => {
    const resource = encryptResource(plaintext, APIV3_KEY, 'fdasflkja484', 'transaction');
    expect(() => decryptResource(resource, 'zbcdefghijklmnopqrstuvwxyz012345')).toThrow();
    expect(() => decryptResource({ ...resource, associated_data: 'refund' }, APIV3_KEY)).toThrow();
    const bytes = Buffer.from(resource.ciphertext, 'base64');
    bytes[0] ^= 1;
    expect(() => decryptResource({ ...resource, ciphertext: bytes.toString('base64') }, APIV3_KEY)).toThrow();
  });
});

describe('trade bill (交易账单, bill_type=ALL)', () => {
  const header = '交易时间,公众账号ID,商户号,特约商户号,设备号,微信订单号,商户订单号,用户标识,交易类型,交易状态,付款银行,货币种类,应结订单金额,代金券金额,微信退款单号,商户退款单号,退款金额,充值券退款金额,退款类型,退款状态,商品名称,商户数据包,手续费,费率,订单金额,申请退款金额,费率备注';
  const row = (state: string, outTradeNo: string, settled: string, outRefundNo: string, refund: string) =>
    ['2025-03-10 09:30:00', 'wx1', '1900000001', '0', '', '4200001', outTradeNo, 'oUser', 'NATIVE', state, 'OTHERS', 'CNY', settled, '0.00', outRefundNo ? '5000001' : '0', outRefundNo || '0', refund, '0.00', '', '', '停车费', '', '0.09', '0.60%', settled, refund, ''].map((v) => `\`${v}`).join(',');

  it('reads payments by 商户订单号 and refunds by 商户退款单号, in fen, and stops at the totals', () => {
    const csv = [header, row('SUCCESS', 'P100', '15.00', '', '0.00'), row('REFUND', 'P100', '0.00', 'R200', '5.5'), row('CLOSED', 'P101', '0.00', '', '0.00'), '总交易单数,应结订单总金额,退款总金额', '`2,`15.00,`5.50'].join('\r\n');
    expect(parseTradeBill(`\uFEFF${csv}`)).toEqual([
      { kind: 'payment', ref: 'P100', amountFen: 1500n },
      { kind: 'refund', ref: 'R200', amountFen: 550n },
    ]);
  });

  it('is empty for an empty bill and refuses a bill without the columns it needs', () => {
    expect(parseTradeBill('')).toEqual([]);
    expect(() => parseTradeBill('交易时间,商户订单号\n`x,`y')).toThrow(/交易状态/);
  });

  it('converts yuan to fen exactly (no floating point) and back', () => {
    expect(yuanToFen('0.01')).toBe(1n);
    expect(yuanToFen('12.5')).toBe(1250n);
    expect(yuanToFen('100')).toBe(10000n);
    expect(() => yuanToFen('1.234')).toThrow();
    expect(fenToYuan(1250n)).toBe('12.50');
    expect(fenToYuan(7n)).toBe('0.07');
  });
});
