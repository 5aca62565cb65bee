// The payment box's strings (shared/pay.js), used by the visitor page and the owner's parking page.
// Chinese first, English second.
import { addStrings } from './i18n.js';

export const strings = {
  zh: {
    'pay.amount': '应付 ¥{amount}',
    'pay.qr.alt': '支付二维码',
    'pay.scan.wechat': '请用微信扫一扫支付',
    'pay.scan.alipay': '请用支付宝扫一扫支付',
    'pay.open.wechat': '在本机打开微信支付',
    'pay.open.alipay': '在本机打开支付宝',
    'pay.waiting': '等待支付结果…',
    'pay.stopped': '暂未收到支付结果。如已支付，请稍后再查。',
    'pay.recheck': '再次查询',
    'pay.provider.wechat': '微信支付',
    'pay.provider.alipay': '支付宝',
    'pay.provider.cash': '现金',
  },
  en: {
    'pay.amount': 'Due ¥{amount}',
    'pay.qr.alt': 'Payment QR code',
    'pay.scan.wechat': 'Scan with WeChat to pay',
    'pay.scan.alipay': 'Scan with Alipay to pay',
    'pay.open.wechat': 'Open WeChat Pay on this phone',
    'pay.open.alipay': 'Open Alipay on this phone',
    'pay.waiting': 'Waiting for the payment…',
    'pay.stopped': 'No payment has arrived yet. If you paid, check again in a moment.',
    'pay.recheck': 'Check again',
    'pay.provider.wechat': 'WeChat Pay',
    'pay.provider.alipay': 'Alipay',
    'pay.provider.cash': 'Cash',
  },
};

addStrings(strings);
