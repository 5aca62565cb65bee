export * from './device';
export * from './payloads';
export * from './topics';
export * from './rest';
export * from './socket';
