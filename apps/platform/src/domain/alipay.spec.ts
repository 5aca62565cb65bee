import { createSign, createVerify, generateKeyPairSync } from 'node:crypto';
import { AlipaySdk } from 'alipay-sdk';
import JSZip from 'jszip';
import { gbkZip } from '../../../../tests/support/fake-alipay';
import { billDetailCsv, judgeTradeNotice, parseAlipayBill, signContent, type AlipayTradeNotice } from './alipay';
import { fenToYuan } from './payment-reconciliation';

// Seeds are silent on online payment: these follow Alipay's open platform rules (opendocs.alipay.com:
// 自行实现签名 / 自行实现验签 for RSA2, 异步通知说明 for alipay.trade.precreate, 下载对账单 for the
// trade bill's zip of GBK CSV files).
const app = generateKeyPairSync('rsa', { modulusLength: 2048 });
const alipay = generateKeyPairSync('rsa', { modulusLength: 2048 });
const pem = (key: { export(o: object): string | Buffer }, type: string) => key.export({ type, format: 'pem' }).toString();
const sdk = new AlipaySdk({ appId: '2021000117600001', privateKey: pem(app.privateKey, 'pkcs8'), keyType: 'PKCS8', alipayPublicKey: pem(alipay.publicKey, 'spki'), camelcase: false });

describe('Alipay RSA2 sign content', () => {
  it('sorts the non-empty parameters by name, leaves out sign (and for notifications sign_type), values unencoded', () => {
    const params = { sign: 'xx', method: 'alipay.trade.precreate', app_id: '2021000117600001', sign_type: 'RSA2', biz_content: '{"a":"b c&d"}', empty: '' };
    expect(signContent(params, { withSignType: true })).toBe('app_id=2021000117600001&biz_content={"a":"b c&d"}&method=alipay.trade.precreate&sign_type=RSA2');
    expect(signContent(params, { withSignType: false })).toBe('app_id=2021000117600001&biz_content={"a":"b c&d"}&method=alipay.trade.precreate');
  });

  it('is what alipay-sdk signs a gateway request over (the fake gateway checks requests with it)', async () => {
    // pageExecute GET gives the signed request as a URL without sending it.
    const url = new URL(sdk.pageExecute('alipay.trade.precreate', 'GET', { notifyUrl: 'https://p.example.com/n', bizContent: { out_trade_no: 'P1', total_amount: '1.50', subject: '停车费' } }));
    const params = Object.fromEntries(url.searchParams);
    expect(params.sign_type).toBe('RSA2');
    expect(createVerify('RSA-SHA256').update(signContent(params, { withSignType: true })).verify(app.publicKey, params.sign, 'base64')).toBe(true);
    expect(createVerify('RSA-SHA256').update(signContent({ ...params, notify_url: 'https://evil.example.com/n' }, { withSignType: true })).verify(app.publicKey, params.sign, 'base64')).toBe(false);
  });

  it('signs notifications as alipay-sdk checks them: Alipay key only, any changed field fails', () => {
    const fields = { notify_type: 'trade_status_sync', app_id: '2021000117600001', out_trade_no: 'P1', trade_no: '2025x', trade_status: 'TRADE_SUCCESS', total_amount: '1.50', subject: '停车费 a+b' };
    const sign = (key: typeof alipay.privateKey) => createSign('RSA-SHA256').update(signContent(fields, { withSignType: false })).sign(key, 'base64');
    expect(sdk.checkNotifySignV2({ ...fields, sign: sign(alipay.privateKey), sign_type: 'RSA2' })).toBe(true);
    expect(sdk.checkNotifySignV2({ ...fields, total_amount: '0.01', sign: sign(alipay.privateKey), sign_type: 'RSA2' })).toBe(false);
    expect(sdk.checkNotifySignV2({ ...fields, sign: sign(app.privateKey), sign_type: 'RSA2' })).toBe(false);
  });
});

describe('what an Alipay trade notification may book', () => {
  const merchant = { appId: '2021000117600001', sellerId: '2088102177000001' };
  const notice = (over: Partial<AlipayTradeNotice> = {}): AlipayTradeNotice => ({ app_id: merchant.appId, seller_id: merchant.sellerId, out_trade_no: 'P1', trade_no: 'T1', trade_status: 'TRADE_SUCCESS', total_amount: '12.50', ...over });
  const order = { amountFen: 1250n };

  it('TRADE_SUCCESS and TRADE_FINISHED of this app and seller for the order amount book it', () => {
    expect(judgeTradeNotice(notice(), merchant, order)).toEqual({ book: true, amountFen: 1250n });
    expect(judgeTradeNotice(notice({ trade_status: 'TRADE_FINISHED' }), merchant, order)).toEqual({ book: true, amountFen: 1250n });
  });

  it('WAIT_BUYER_PAY and TRADE_CLOSED book nothing and are not errors', () => {
    expect(judgeTradeNotice(notice({ trade_status: 'WAIT_BUYER_PAY' }), merchant, order)).toEqual({ book: false, outcome: 'not_success' });
    expect(judgeTradeNotice(notice({ trade_status: 'TRADE_CLOSED' }), merchant, undefined)).toEqual({ book: false, outcome: 'not_success' });
  });

  it('refuses another app, another seller (when one is configured), an unknown order and any other amount', () => {
    expect(judgeTradeNotice(notice({ app_id: '2021000117600002' }), merchant, order)).toEqual({ book: false, outcome: 'wrong_merchant' });
    expect(judgeTradeNotice(notice({ seller_id: '2088102177000002' }), merchant, order)).toEqual({ book: false, outcome: 'wrong_merchant' });
    expect(judgeTradeNotice(notice({ seller_id: '2088102177000002' }), { appId: merchant.appId }, order)).toEqual({ book: true, amountFen: 1250n });
    expect(judgeTradeNotice(notice(), merchant, undefined)).toEqual({ book: false, outcome: 'unknown_order' });
    expect(judgeTradeNotice(notice({ total_amount: '12.49' }), merchant, order)).toEqual({ book: false, outcome: 'amount_mismatch' });
    expect(judgeTradeNotice(notice({ total_amount: '12.5x' }), merchant, order)).toEqual({ book: false, outcome: 'amount_mismatch' });
  });
});

describe('the Alipay trade bill (业务明细)', () => {
  const header = '支付宝交易号,商户订单号,业务类型,商品名称,创建时间,完成时间,门店编号,门店名称,操作员,终端号,对方账户,订单金额（元）,商家实收（元）,支付宝红包（元）,集分宝（元）,支付宝优惠（元）,商家优惠（元）,券核销金额（元）,券名称,商家红包消费金额（元）,卡消费金额（元）,退款批次号/请求号,服务费（元）,分润（元）,备注';
  const row = (tradeNo: string, outTradeNo: string, type: string, fen: number, requestNo = '') =>
    [tradeNo, outTradeNo, type, '停车费', '2025-03-10 10:00:00', '2025-03-10 10:00:05', '', '', '', '', 'cus***@example.com', fenToYuan(BigInt(fen)), fenToYuan(BigInt(fen)), '0.00', '0.00', '0.00', '0.00', '0.00', '', '0.00', '0.00', requestNo, '-0.01', '0.00', ''].map((v) => `${v}\t`).join(',');
  const csv = [
    '#支付宝业务明细查询',
    '#账号：[20881021770000010156]',
    '#-----------------------------------------业务明细列表----------------------------------------',
    header,
    row('2025031022001', 'P1', '交易', 1250),
    row('2025031022001', 'P1', '退款', -100, 'R1'),
    row('2025031022002', 'P2', '交易', 300),
    '#-----------------------------------------业务明细列表结束------------------------------------',
    '#交易合计：2笔，退款合计：1笔',
  ].join('\r\n');

  it('reads payments by 商户订单号 and refunds by 退款批次号/请求号 as positive amounts, skipping the # lines', () => {
    expect(parseAlipayBill(csv)).toEqual([
      { kind: 'payment', ref: 'P1', amountFen: 1250n },
      { kind: 'refund', ref: 'R1', amountFen: 100n },
      { kind: 'payment', ref: 'P2', amountFen: 300n },
    ]);
    expect(parseAlipayBill('#支付宝业务明细查询\r\n')).toEqual([]);
    expect(() => parseAlipayBill('支付宝交易号,业务类型\r\n')).toThrow(/no column 商户订单号/);
  });

  it('takes the detail CSV out of the zip, GBK names and content, not its 汇总', async () => {
    const bytes = await gbkZip({ '20881021770000010156_20250310_业务明细(汇总).csv': '#支付宝业务汇总查询\r\n合计,3', '20881021770000010156_20250310_业务明细.csv': csv });
    // The names are GBK only, as in Alipay's archive: read as UTF-8 they are not the names.
    expect(Object.keys((await JSZip.loadAsync(bytes)).files).some((n) => n.includes('业务明细'))).toBe(false);
    expect(await billDetailCsv(bytes)).toBe(csv);
    const empty = await new JSZip().file('readme.txt', 'x').generateAsync({ type: 'nodebuffer' });
    await expect(billDetailCsv(empty)).rejects.toThrow(/no 业务明细\.csv/);
  });
});
