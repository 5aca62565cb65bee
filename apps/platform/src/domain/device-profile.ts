import type { DeviceKind } from '@app/contracts';

/** What the broker and the ingestion path need to know of a device (cached by the device directory). */
export interface DeviceProfile {
  id: string;
  communityId: string;
  kind: DeviceKind;
  subtype: string | null;
  disabled: boolean;
  secretHash: string;
}
