// The supervision page's own strings.
// Chinese first, English second; the strings every page uses are in shared/i18n.js.
import { addStrings } from '../shared/i18n.js';

export const strings = {
  zh: {
    'sup.title': '智慧物业 · 街道/区级监管',
    'sup.section': '街道/区级监管',
    'sup.empty': '您的辖区内没有小区',
    'sup.summary': '{n} 个小区 · 活动告警 {alarms} · 离线设备 {offline} · 应急维修 {fund}',
    'sup.col.community': '小区',
    'sup.col.area': '街道 / 区',
    'sup.col.alarms': '活动告警（按级别）',
    'sup.col.offline': '离线设备',
    'sup.col.fund': '应急维修（未结）',
    'sup.col.deadline': '最近期限',
    'sup.col.complaints': '投诉报修（未结 / 超期）',
    'sup.sev.1': '紧急',
    'sup.sev.2': '严重',
    'sup.sev.3': '一般',
    'sup.sev.4': '轻微',
    'sup.sev.5': '提示',
    'sup.conn.connecting': '连接中',
    'sup.conn.live': '实时',
    'sup.conn.down': '已断开',
  },
  en: {
    'sup.title': 'Smart Property · Area Supervision',
    'sup.section': 'Area supervision',
    'sup.empty': 'No communities in your area',
    'sup.summary': '{n} communities · active alarms {alarms} · devices offline {offline} · open repair cases {fund}',
    'sup.col.community': 'Community',
    'sup.col.area': 'Street / district',
    'sup.col.alarms': 'Active alarms (by severity)',
    'sup.col.offline': 'Devices offline',
    'sup.col.fund': 'Open repair cases',
    'sup.col.deadline': 'Next deadline',
    'sup.col.complaints': 'Complaints (open / overdue)',
    'sup.sev.1': 'Critical',
    'sup.sev.2': 'Major',
    'sup.sev.3': 'Minor',
    'sup.sev.4': 'Warning',
    'sup.sev.5': 'Info',
    'sup.conn.connecting': 'Connecting',
    'sup.conn.live': 'Live',
    'sup.conn.down': 'Disconnected',
  },
};

addStrings(strings);
