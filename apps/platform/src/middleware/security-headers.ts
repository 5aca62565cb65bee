import type { RequestHandler } from 'express';
import helmet, { type HelmetOptions } from 'helmet';

/**
 * Security headers on every page and API answer (helmet; issue 8 item 6): a Content-Security-Policy
 * that allows scripts, styles and connections (socket.io included) from this origin only, no inline
 * script or style, no framing (frame-ancestors 'none', and X-Frame-Options for old browsers),
 * nosniff, Referrer-Policy no-referrer. Not upgrade-insecure-requests: the platform is often served
 * over plain HTTP on a private network, where upgrading would break every page. The API docs page
 * (Swagger UI) carries inline styles, so it alone may use them.
 */
const directives = {
  'default-src': ["'self'"],
  'script-src': ["'self'"],
  'script-src-attr': ["'none'"],
  'style-src': ["'self'"],
  // blob: photos and scans behind the API are fetched with the token and shown from object URLs (web/shared/api.js fileUrl).
  'img-src': ["'self'", 'data:', 'blob:'],
  'font-src': ["'self'", 'data:'],
  'connect-src': ["'self'"],
  'object-src': ["'none'"],
  'base-uri': ["'self'"],
  'form-action': ["'self'"],
  'frame-ancestors': ["'none'"],
};

const options = (styleSrc: string[]): HelmetOptions => ({
  contentSecurityPolicy: { useDefaults: false, directives: { ...directives, 'style-src': styleSrc } },
  frameguard: { action: 'deny' },
  referrerPolicy: { policy: 'no-referrer' },
});

export function securityHeaders(docsPath: string): RequestHandler {
  const pages = helmet(options(["'self'"]));
  const docs = helmet(options(["'self'", "'unsafe-inline'"]));
  return (req, res, next) => (req.path.startsWith(docsPath) ? docs : pages)(req, res, next);
}
