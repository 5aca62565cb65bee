/** Socket.io events of this area, merged into ServerToClientEvents (contract §5: each payload carries communityId). */
// eslint-disable-next-line @typescript-eslint/no-empty-object-type
export interface BillingServerEvents {}
