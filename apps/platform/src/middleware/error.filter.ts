import { ArgumentsHost, Catch, ExceptionFilter, HttpException, HttpStatus, Logger } from '@nestjs/common';
import type { Response } from 'express';
import { ZodValidationException } from 'nestjs-zod';
import type { ZodError } from 'zod';
import { databaseUnavailableReason } from '../repositories/database.repository';

/** Seconds a client is asked to wait before retrying while the database is unreachable. */
const DATABASE_RETRY_AFTER_S = 5;

/**
 * Every error leaves as { statusCode, error, message } (contract §4); validation failures are 400
 * and list the failing fields; an unreachable database is a 503 that says so (and when to retry);
 * anything unexpected is a logged 500 without internals.
 */
@Catch()
export class ErrorFilter implements ExceptionFilter {
  private readonly logger = new Logger('HTTP');

  catch(exception: unknown, host: ArgumentsHost): void {
    const response = host.switchToHttp().getResponse<Response>();
    if (exception instanceof ZodValidationException) {
      const zodError = exception.getZodError() as ZodError;
      const fields = zodError.issues.map((i) => ({ path: i.path.join('.'), message: i.message }));
      response.status(400).json({
        statusCode: 400,
        error: 'Bad Request',
        message: `validation failed: ${fields.map((f) => `${f.path || '(body)'}: ${f.message}`).join('; ')}`,
        fields,
      });
      return;
    }
    if (exception instanceof HttpException) {
      const status = exception.getStatus();
      const body = exception.getResponse();
      const message = typeof body === 'string' ? body : ((body as { message?: unknown }).message ?? exception.message);
      // A back-off (429) says when to come back, as a header and in the body.
      const retryAfterS = typeof body === 'object' ? (body as { retryAfterS?: unknown }).retryAfterS : undefined;
      if (typeof retryAfterS === 'number') response.setHeader('Retry-After', String(retryAfterS));
      response.status(status).json({
        statusCode: status,
        error: httpErrorName(status),
        message: Array.isArray(message) ? message.join('; ') : String(message),
        ...(typeof retryAfterS === 'number' ? { retryAfterS } : {}),
      });
      return;
    }
    const clientError = asClientError(exception);
    if (clientError) {
      response.status(clientError.status).json({ statusCode: clientError.status, error: httpErrorName(clientError.status), message: clientError.message });
      return;
    }
    const unavailable = databaseUnavailableReason(exception);
    if (unavailable) {
      this.logger.warn(`database unavailable: ${unavailable}`);
      response.setHeader('Retry-After', String(DATABASE_RETRY_AFTER_S));
      response.status(503).json({ statusCode: 503, error: 'Service Unavailable', message: 'database unavailable, retry later', reason: 'database_unavailable', retryAfterS: DATABASE_RETRY_AFTER_S });
      return;
    }
    this.logger.error(exception instanceof Error ? (exception.stack ?? exception.message) : String(exception));
    response.status(500).json({ statusCode: 500, error: 'Internal Server Error', message: 'internal error' });
  }
}

/** Errors of Express' body parser (http-errors): a body too large or not JSON is the client's error. */
function asClientError(exception: unknown): { status: number; message: string } | undefined {
  const e = exception as { status?: unknown; expose?: unknown; message?: unknown };
  if (typeof e?.status === 'number' && e.status >= 400 && e.status < 500 && e.expose === true) {
    return { status: e.status, message: String(e.message) };
  }
  return undefined;
}

function httpErrorName(status: number): string {
  const name = HttpStatus[status];
  return name ? name.split('_').map((w) => w[0] + w.slice(1).toLowerCase()).join(' ') : 'Error';
}
