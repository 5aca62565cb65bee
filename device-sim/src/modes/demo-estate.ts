import type { CreateCommunityRequest, DeviceKind, FireSubtype } from '@app/contracts';
import type { ElevatorConfig } from '../models/elevator';
import type { GateLane } from '../models/gate';

/** One simulated device of the demo estate; `role` is stable across runs and names it in the credentials file. */
export interface DemoDeviceSpec {
  role: string;
  kind: DeviceKind;
  subtype?: FireSubtype;
  name: string;
  location: string;
  building?: string;
  elevator?: Partial<ElevatorConfig>;
  lanes?: GateLane[];
}

function units(floors: number, perFloor: number, areas: string[]): { number: string; floorArea: string }[] {
  const out: { number: string; floorArea: string }[] = [];
  for (let f = 1; f <= floors; f++) {
    for (let u = 1; u <= perFloor; u++) out.push({ number: `${f}${String(u).padStart(2, '0')}`, floorArea: areas[(u - 1) % areas.length] });
  }
  return out;
}

export const demoCommunity: CreateCommunityRequest = {
  name: '阳光花园',
  district: '某区',
  street: '某街道',
  address: '某区某街道阳光路88号',
  buildings: [
    { name: '1栋', floors: 18, units: units(18, 4, ['89.50', '120.36', '120.36', '89.50']) },
    { name: '2栋', floors: 18, units: units(18, 2, ['143.20', '98.75']) },
    { name: '3栋', floors: 11, units: units(11, 2, ['76.00', '105.88']) },
  ],
};

export const demoDevices: DemoDeviceSpec[] = [
  { role: 'elev-1-1', kind: 'elevator', name: '1栋1号梯', location: '1栋 1单元', building: '1栋', elevator: { lowestFloor: -2, topFloor: 18, ratedSpeed: 1.75 } },
  { role: 'elev-1-2', kind: 'elevator', name: '1栋2号梯', location: '1栋 2单元', building: '1栋', elevator: { lowestFloor: -2, topFloor: 18, ratedSpeed: 2.5 } },
  { role: 'elev-2-1', kind: 'elevator', name: '2栋1号梯', location: '2栋', building: '2栋', elevator: { lowestFloor: -1, topFloor: 18, ratedSpeed: 1.75 } },
  { role: 'elev-3-1', kind: 'elevator', name: '3栋1号梯', location: '3栋', building: '3栋', elevator: { lowestFloor: -1, topFloor: 11, ratedSpeed: 1.0 } },
  { role: 'fire-ctl', kind: 'fire', subtype: 'controller', name: '消防报警主机', location: '消防控制室' },
  { role: 'fire-hyd-1', kind: 'fire', subtype: 'hydrant_pressure', name: '1栋消火栓压力', location: '1栋 18层 末端试水', building: '1栋' },
  { role: 'fire-hyd-2', kind: 'fire', subtype: 'hydrant_pressure', name: '2栋消火栓压力', location: '2栋 地下1层 泵房', building: '2栋' },
  { role: 'fire-spr-1', kind: 'fire', subtype: 'sprinkler_pressure', name: '地下车库喷淋压力', location: '地下车库 报警阀间' },
  { role: 'fire-tank-1', kind: 'fire', subtype: 'tank_level', name: '屋顶消防水箱液位', location: '1栋 屋顶水箱间', building: '1栋' },
  { role: 'fire-smoke-1', kind: 'fire', subtype: 'smoke_detector', name: '2栋3层烟感', location: '2栋 3层 走廊', building: '2栋' },
  { role: 'fire-door-1', kind: 'fire', subtype: 'fire_door', name: '地下车库防火门', location: '地下车库 B1 防火分区1' },
  {
    role: 'gate-east',
    kind: 'gate',
    name: '东门车行道闸',
    location: '东门',
    lanes: [
      { name: 'east-in', direction: 'in' },
      { name: 'east-out', direction: 'out' },
    ],
  },
  {
    role: 'gate-north',
    kind: 'gate',
    name: '北门车行道闸',
    location: '北门',
    lanes: [
      { name: 'north-in', direction: 'in' },
      { name: 'north-out', direction: 'out' },
    ],
  },
];
