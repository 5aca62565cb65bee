import { z } from 'zod';

/**
 * The bodies EMQX 5 sends to the platform's HTTP authentication and authorisation hooks
 * (MQTT_BROKER_AUTH=emqx-http), as configured in deploy/emqx: each field is an EMQX placeholder
 * (${clientid}, ${username}, ${password}, ${peerhost}, ${topic}, ${action}, ${qos}, ${retain}),
 * rendered as a string. Extra fields are allowed, so an operator may send more.
 */
const field = z.string().max(1024);

export const emqxAuthnRequestSchema = z.looseObject({
  clientid: field,
  username: field,
  password: field,
  peerhost: field.optional(),
});
export type EmqxAuthnRequest = z.infer<typeof emqxAuthnRequestSchema>;

export const emqxAuthzRequestSchema = z.looseObject({
  clientid: field,
  username: field,
  topic: z.string().max(65535),
  action: z.enum(['publish', 'subscribe']),
  peerhost: field.optional(),
  qos: z.union([z.string(), z.number()]).optional(),
  retain: z.union([z.string(), z.boolean()]).optional(),
});
export type EmqxAuthzRequest = z.infer<typeof emqxAuthzRequestSchema>;

/** EMQX 5 reads `result` (and, for authentication, `is_superuser`) from a 200 answer. */
export interface EmqxHookResponse {
  result: 'allow' | 'deny' | 'ignore';
  is_superuser?: boolean;
}
