// All user-visible strings of the web pages live here. Chinese first, English second.
// Usage: t('key', { n: 3 }) ; setLang('en') ; onLangChange(fn) ; applyStatic(root)
// Elements with data-i18n="key" get their textContent replaced, data-i18n-attr="attr:key;attr2:key2"
// sets attributes (placeholder, aria-label, title).

const STORAGE_KEY = 'spp.lang';

const dict = {
  zh: {
    'app.title': '智慧物业 · 设备实时监控',
    'app.brand': '智慧物业',
    'app.section': '设备实时监控',
    'lang.switch': '切换语言',
    'lang.zh': '中文',
    'lang.en': 'EN',

    'login.title': '登录',
    'login.subtitle': '物业设备监控平台',
    'login.username': '用户名',
    'login.password': '密码',
    'login.submit': '登录',
    'login.submitting': '正在登录…',
    'login.failed': '登录失败',
    'login.expired': '登录已过期，请重新登录',
    'login.network': '无法连接服务器',
    'logout': '退出登录',
    'user.signedInAs': '当前用户',

    'community.label': '小区',
    'community.choose': '选择小区',
    'community.devices': '{n} 台设备',
    'community.none.title': '暂无可查看的小区',
    'community.none.body': '当前账号没有可查看的小区。请管理员创建小区或分配权限。',
    'community.notFound': '找不到该小区，已切换到第一个小区',

    'conn.live': '实时连接',
    'conn.connecting': '正在连接…',
    'conn.reconnecting': '已断开，正在重连…',
    'conn.down': '已断开',
    'conn.error': '实时连接失败：{msg}',

    'count.total': '设备',
    'count.online': '在线',
    'count.offline': '离线',
    'count.alarm': '告警',

    'kind.elevator': '电梯',
    'kind.fire': '消防',
    'kind.gate': '道闸',

    'loading': '正在加载…',
    'loadError': '加载失败：{msg}',
    'retry': '重试',

    'empty.title': '这个小区还没有设备',
    'empty.body': '用命令行添加设备，或启动模拟器生成演示设备：',
    'empty.cli': '添加一台设备',
    'empty.sim': '启动演示模拟器',
    'empty.after': '设备接入并上报数据后，会实时显示在这里，无需刷新页面。',

    'status.online': '在线',
    'status.offline': '离线',
    'status.nodata': '暂无数据',
    'ago.never': '从未上报',
    'ago.now': '刚刚',
    'ago.s': '{n} 秒前',
    'ago.m': '{n} 分钟前',
    'ago.h': '{n} 小时前',
    'ago.d': '{n} 天前',
    'updated': '更新',

    'elevator.floor': '楼层',
    'elevator.floorUnit': '层',
    'elevator.dir.up': '上行',
    'elevator.dir.down': '下行',
    'elevator.dir.stop': '停止',
    'elevator.door': '门',
    'elevator.door.closed': '关闭',
    'elevator.door.open': '打开',
    'elevator.door.opening': '正在开门',
    'elevator.door.closing': '正在关门',
    'elevator.mode': '模式',
    'elevator.mode.normal': '正常',
    'elevator.mode.inspection': '检修',
    'elevator.mode.maintenance': '保养',
    'elevator.mode.fire_recall': '消防返回',
    'elevator.mode.out_of_service': '停用',
    'elevator.occupied': '轿厢',
    'elevator.occupied.yes': '有人',
    'elevator.occupied.no': '无人',
    'elevator.power': '电源',
    'elevator.power.mains': '市电',
    'elevator.power.battery': '电池',
    'elevator.safety': '安全回路',
    'elevator.safety.closed': '正常',
    'elevator.safety.open': '断开',
    'elevator.speed': '速度',
    'elevator.atLevel': '平层',
    'elevator.notLevel': '非平层',

    'elevator.fault.top_overtravel': '冲顶',
    'elevator.fault.bottom_overtravel': '蹲底',
    'elevator.fault.overspeed': '超速',
    'elevator.fault.door_open_while_running': '运行中开门',
    'elevator.fault.moving_with_door_open': '开门走车',
    'elevator.fault.stopped_outside_door_zone': '门区外停梯',
    'elevator.fault.trapped_at_level': '平层关人',
    'elevator.fault.trapped_not_level': '非平层关人',
    'elevator.fault.power_failure': '停电',
    'elevator.fault.safety_circuit_open': '安全回路断路',
    'elevator.fault.door_open_fault': '开门故障',
    'elevator.fault.door_close_fault': '关门故障',
    'elevator.fault.door_lock_circuit_open': '门锁回路断路',
    'elevator.fault.landing_button_stuck': '层站按钮粘连',
    'elevator.fault.speed_abnormal': '速度异常',
    'elevator.fault.emergency_call': '用户报警',
    'elevator.fault.ebike_in_car': '电动车入梯',
    'fire.zone': '区域 {zone}',
    'fire.subtype.controller': '火灾报警控制器',
    'fire.subtype.hydrant_pressure': '消火栓压力',
    'fire.subtype.sprinkler_pressure': '喷淋压力',
    'fire.subtype.tank_level': '消防水箱液位',
    'fire.subtype.smoke_detector': '烟感探测器',
    'fire.subtype.fire_door': '防火门',
    'fire.value': '读数',
    'fire.flag.fire': '火警',
    'fire.flag.fault': '故障',
    'fire.flag.supervisory': '监管',
    'fire.flag.disabled': '屏蔽',
    'fire.flag.started': '启动',
    'fire.flag.feedback': '反馈',
    'fire.flag.powerFault': '电源故障',
    'fire.normal': '正常',

    'gate.barrier': '道闸',
    'gate.barrier.open': '抬杆',
    'gate.barrier.closed': '落杆',
    'gate.barrier.fault': '故障',
    'gate.lastVehicle': '最近车辆',
    'gate.noVehicle': '暂无车辆记录',
    'gate.dir.in': '入场',
    'gate.dir.out': '出场',
    'gate.lane': '车道 {lane}',
    'gate.unreadable': '未识别',
  },
  en: {
    'app.title': 'Smart Property · Live Equipment',
    'app.brand': 'Smart Property',
    'app.section': 'Live equipment',
    'lang.switch': 'Switch language',
    'lang.zh': '中文',
    'lang.en': 'EN',

    'login.title': 'Sign in',
    'login.subtitle': 'Property equipment monitoring',
    'login.username': 'Username',
    'login.password': 'Password',
    'login.submit': 'Sign in',
    'login.submitting': 'Signing in…',
    'login.failed': 'Sign-in failed',
    'login.expired': 'Your session has expired. Please sign in again.',
    'login.network': 'Cannot reach the server',
    'logout': 'Sign out',
    'user.signedInAs': 'Signed in as',

    'community.label': 'Community',
    'community.choose': 'Choose a community',
    'community.devices': '{n} devices',
    'community.none.title': 'No communities to show',
    'community.none.body': 'This account cannot see any community yet. Ask an administrator to create one or grant access.',
    'community.notFound': 'Community not found; showing the first one instead',

    'conn.live': 'Live',
    'conn.connecting': 'Connecting…',
    'conn.reconnecting': 'Disconnected, reconnecting…',
    'conn.down': 'Disconnected',
    'conn.error': 'Live connection failed: {msg}',

    'count.total': 'Devices',
    'count.online': 'Online',
    'count.offline': 'Offline',
    'count.alarm': 'Alarms',

    'kind.elevator': 'Elevators',
    'kind.fire': 'Fire safety',
    'kind.gate': 'Gates',

    'loading': 'Loading…',
    'loadError': 'Could not load: {msg}',
    'retry': 'Retry',

    'empty.title': 'No devices in this community yet',
    'empty.body': 'Add a device from the command line, or start the simulator for demo devices:',
    'empty.cli': 'Add one device',
    'empty.sim': 'Start the demo simulator',
    'empty.after': 'Once a device connects and reports, it appears here live; no reload needed.',

    'status.online': 'Online',
    'status.offline': 'Offline',
    'status.nodata': 'No data yet',
    'ago.never': 'never reported',
    'ago.now': 'just now',
    'ago.s': '{n}s ago',
    'ago.m': '{n} min ago',
    'ago.h': '{n} h ago',
    'ago.d': '{n} d ago',
    'updated': 'Updated',

    'elevator.floor': 'Floor',
    'elevator.floorUnit': '',
    'elevator.dir.up': 'Up',
    'elevator.dir.down': 'Down',
    'elevator.dir.stop': 'Stopped',
    'elevator.door': 'Door',
    'elevator.door.closed': 'Closed',
    'elevator.door.open': 'Open',
    'elevator.door.opening': 'Opening',
    'elevator.door.closing': 'Closing',
    'elevator.mode': 'Mode',
    'elevator.mode.normal': 'Normal',
    'elevator.mode.inspection': 'Inspection',
    'elevator.mode.maintenance': 'Maintenance',
    'elevator.mode.fire_recall': 'Fire recall',
    'elevator.mode.out_of_service': 'Out of service',
    'elevator.occupied': 'Car',
    'elevator.occupied.yes': 'Occupied',
    'elevator.occupied.no': 'Empty',
    'elevator.power': 'Power',
    'elevator.power.mains': 'Mains',
    'elevator.power.battery': 'Battery',
    'elevator.safety': 'Safety circuit',
    'elevator.safety.closed': 'OK',
    'elevator.safety.open': 'Open',
    'elevator.speed': 'Speed',
    'elevator.atLevel': 'At level',
    'elevator.notLevel': 'Between floors',

    'elevator.fault.top_overtravel': 'Top overtravel',
    'elevator.fault.bottom_overtravel': 'Bottom overtravel',
    'elevator.fault.overspeed': 'Overspeed',
    'elevator.fault.door_open_while_running': 'Door opened while running',
    'elevator.fault.moving_with_door_open': 'Moving with door open',
    'elevator.fault.stopped_outside_door_zone': 'Stopped outside door zone',
    'elevator.fault.trapped_at_level': 'Trapped at level',
    'elevator.fault.trapped_not_level': 'Trapped between floors',
    'elevator.fault.power_failure': 'Power failure',
    'elevator.fault.safety_circuit_open': 'Safety circuit open',
    'elevator.fault.door_open_fault': 'Door open fault',
    'elevator.fault.door_close_fault': 'Door close fault',
    'elevator.fault.door_lock_circuit_open': 'Door lock circuit open',
    'elevator.fault.landing_button_stuck': 'Landing button stuck',
    'elevator.fault.speed_abnormal': 'Abnormal speed',
    'elevator.fault.emergency_call': 'Emergency call',
    'elevator.fault.ebike_in_car': 'E-bike in car',
    'fire.zone': 'Zone {zone}',
    'fire.subtype.controller': 'Fire alarm panel',
    'fire.subtype.hydrant_pressure': 'Hydrant pressure',
    'fire.subtype.sprinkler_pressure': 'Sprinkler pressure',
    'fire.subtype.tank_level': 'Water tank level',
    'fire.subtype.smoke_detector': 'Smoke detector',
    'fire.subtype.fire_door': 'Fire door',
    'fire.value': 'Reading',
    'fire.flag.fire': 'Fire',
    'fire.flag.fault': 'Fault',
    'fire.flag.supervisory': 'Supervisory',
    'fire.flag.disabled': 'Disabled',
    'fire.flag.started': 'Started',
    'fire.flag.feedback': 'Feedback',
    'fire.flag.powerFault': 'Power fault',
    'fire.normal': 'Normal',

    'gate.barrier': 'Barrier',
    'gate.barrier.open': 'Open',
    'gate.barrier.closed': 'Closed',
    'gate.barrier.fault': 'Fault',
    'gate.lastVehicle': 'Last vehicle',
    'gate.noVehicle': 'No vehicles yet',
    'gate.dir.in': 'In',
    'gate.dir.out': 'Out',
    'gate.lane': 'Lane {lane}',
    'gate.unreadable': 'Unreadable',
  },
};

export const LANGS = ['zh', 'en'];

function initialLang() {
  try {
    const saved = localStorage.getItem(STORAGE_KEY);
    if (saved && dict[saved]) return saved;
  } catch {
    /* storage may be unavailable */
  }
  return 'zh';
}

let lang = initialLang();
const listeners = new Set();

export function getLang() {
  return lang;
}

export function t(key, params) {
  let s = dict[lang][key];
  if (s === undefined) s = dict.zh[key];
  if (s === undefined) return key;
  if (params) s = s.replace(/\{(\w+)\}/g, (m, k) => (params[k] === undefined ? m : String(params[k])));
  return s;
}

/** true when the key exists (used for optional labels such as unknown enum values) */
export function has(key) {
  return dict[lang][key] !== undefined || dict.zh[key] !== undefined;
}

export function setLang(next) {
  if (!dict[next] || next === lang) return;
  lang = next;
  try {
    localStorage.setItem(STORAGE_KEY, next);
  } catch {
    /* ignore */
  }
  applyStatic(document);
  for (const fn of listeners) fn(lang);
}

export function onLangChange(fn) {
  listeners.add(fn);
  return () => listeners.delete(fn);
}

/** Translate every element carrying data-i18n / data-i18n-attr under root, and <html lang>. */
export function applyStatic(root) {
  document.documentElement.lang = lang === 'zh' ? 'zh-CN' : 'en';
  for (const el of root.querySelectorAll('[data-i18n]')) el.textContent = t(el.dataset.i18n);
  for (const el of root.querySelectorAll('[data-i18n-attr]')) {
    for (const pair of el.dataset.i18nAttr.split(';')) {
      const [attr, key] = pair.split(':');
      if (attr && key) el.setAttribute(attr.trim(), t(key.trim()));
    }
  }
  const title = document.querySelector('title[data-i18n-title]');
  if (title) title.textContent = t(title.dataset.i18nTitle);
}
