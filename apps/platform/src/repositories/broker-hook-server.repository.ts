import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { Injectable, Logger } from '@nestjs/common';
import { InjectConfig } from '../config/config.provider';
import type { PlatformConfig } from '../config/config';
import { listen } from '../config/listen';

/** Hook requests are a few hundred bytes; anything far larger is not from the broker. */
const MAX_BODY_BYTES = 16 * 1024;

export interface HookRequest {
  method: string;
  path: string;
  authorization: string | undefined;
  body: string;
}

export interface HookReply {
  status: number;
  body?: unknown;
}

/**
 * The HTTP listener the broker (EMQX) calls for authentication and authorisation: its own port
 * and bind address (BROKER_AUTH_PORT, BROKER_AUTH_HOST), never the public HTTP server, so it can
 * be kept on a network only the broker reaches. Keep-alive connections: EMQX pools and pipelines.
 */
@Injectable()
export class BrokerHookServerRepository {
  private readonly logger = new Logger(BrokerHookServerRepository.name);
  private server?: Server;
  port?: number;

  constructor(@InjectConfig() private readonly config: PlatformConfig) {}

  async start(handle: (request: HookRequest) => Promise<HookReply>): Promise<number> {
    const server = createServer((req, res) => void this.serve(req, res, handle));
    server.keepAliveTimeout = 65_000;
    this.server = server;
    const { hookHost, hookPort } = this.config.brokerAuth;
    this.port = await listen(server, hookPort, hookHost, 'BROKER_AUTH_PORT');
    this.logger.log(`broker authentication hooks listening on ${hookHost}:${this.port}`);
    return this.port;
  }

  async stop(): Promise<void> {
    const server = this.server;
    if (!server) return;
    await new Promise<void>((resolve) => {
      server.close(() => resolve());
      server.closeAllConnections();
    });
  }

  private async serve(req: IncomingMessage, res: ServerResponse, handle: (request: HookRequest) => Promise<HookReply>): Promise<void> {
    const reply = (status: number, body?: unknown) => {
      const text = JSON.stringify(body ?? {});
      res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
      res.end(text);
    };
    try {
      const chunks: Buffer[] = [];
      let size = 0;
      for await (const chunk of req as AsyncIterable<Buffer>) {
        size += chunk.length;
        if (size > MAX_BODY_BYTES) return reply(413, { error: `request body over ${MAX_BODY_BYTES} bytes` });
        chunks.push(chunk);
      }
      const result = await handle({
        method: req.method ?? 'GET',
        path: new URL(req.url ?? '/', 'http://hook').pathname,
        authorization: req.headers.authorization,
        body: Buffer.concat(chunks).toString('utf8'),
      });
      reply(result.status, result.body);
    } catch (error) {
      this.logger.error(`broker hook failed: ${(error as Error).message}`);
      if (!res.headersSent) reply(500, { error: 'internal error' });
    }
  }
}
