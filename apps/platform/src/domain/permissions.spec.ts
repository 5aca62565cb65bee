import { roles, sessionRoles } from '@app/contracts';
import { can, Permission, permissionTable, permissionsOf, roleHas, socketEventPermission, socketPermissions } from './permissions';

describe('the permission table', () => {
  it('gives every permission to at least one role, and only known roles', () => {
    for (const permission of Object.values(Permission)) {
      expect(permissionTable[permission].length).toBeGreaterThan(0);
      for (const role of permissionTable[permission]) expect(sessionRoles).toContain(role);
    }
  });

  it('gives a visitor (issue 13 §7) visitor parking and their own bill, nothing else; no account role holds visitor parking', () => {
    expect([...permissionsOf('visitor')].sort()).toEqual([Permission.OwnBillRead, Permission.VisitorParking].sort());
    for (const role of roles) expect(roleHas(role, Permission.VisitorParking)).toBe(false);
    expect(roleHas('property_staff', Permission.VisitorSettingsManage)).toBe(true);
    expect(roleHas('owner', Permission.VisitorSettingsManage)).toBe(false);
    // No socket room: every event's permission is one a visitor lacks.
    for (const { permission } of Object.values(socketEventPermission)) expect(roleHas('visitor', permission)).toBe(false);
  });

  it('lets every role see devices: device states go to the plain community room (one per community for 2,000 dashboards)', () => {
    for (const role of roles) expect(roleHas(role, Permission.DeviceRead)).toBe(true);
    expect(socketEventPermission['device.states'].permission).toBe(Permission.DeviceRead);
  });

  it('keeps owners off alarms, pending gate decisions, sessions and other people’s bills', () => {
    const owner = { role: 'owner' as const };
    expect(can(owner, Permission.AlarmRead)).toBe(false);
    expect(can(owner, Permission.GateOperate)).toBe(false);
    expect(can(owner, Permission.ParkingSessionRead)).toBe(false);
    expect(can(owner, Permission.BillingRead)).toBe(false);
    expect(can(owner, Permission.BillingRead, Permission.OwnBillRead)).toBe(true);
  });

  it('lets owners file and follow complaints but not read others’ or handle them, and keeps the property company off its own deadlines', () => {
    const owner = { role: 'owner' as const };
    expect(can(owner, Permission.ComplaintFile)).toBe(true);
    expect(can(owner, Permission.ComplaintReadAll)).toBe(false);
    expect(can(owner, Permission.ComplaintHandle)).toBe(false);
    expect(can({ role: 'property_staff' }, Permission.ComplaintSettingsManage)).toBe(false);
  });

  it('names a permission for every socket event, each one of the room permissions', () => {
    for (const { permission } of Object.values(socketEventPermission)) expect(socketPermissions).toContain(permission);
    expect(permissionsOf('platform_admin').has(Permission.UserManage)).toBe(true);
    expect(permissionsOf('street_officer').has(Permission.UserManage)).toBe(false);
  });

  it('sends platform alerts (issue 9: the ingestion log cannot be written) to administrators only', () => {
    const holders = roles.filter((role) => roleHas(role, socketEventPermission['platform.alert'].permission));
    expect(holders).toEqual(['platform_admin']);
  });

  it('lets property staff and the owners\' committee verify claims to units (issue 13 §1), not owners; only staff import an estate', () => {
    expect(roleHas('property_staff', Permission.UnitVerify)).toBe(true);
    expect(roleHas('owners_committee', Permission.UnitVerify)).toBe(true);
    expect(roleHas('owner', Permission.UnitVerify)).toBe(false);
    expect(roleHas('owners_committee', Permission.UnitManage)).toBe(false);
  });
});
