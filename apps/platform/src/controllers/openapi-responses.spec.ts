/**
 * The OpenAPI document describes what every route answers, so that a client can be generated from
 * it: each operation has a 2xx response with a schema (or a 204 without content).
 */
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import type { INestApplication, Type } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import { DocumentBuilder, SwaggerModule, type OpenAPIObject } from '@nestjs/swagger';
import { cleanupOpenApiDoc } from 'nestjs-zod';
import { automock } from '../../../../tests/support/new-test-service';

/** Every controller class of controllers/ (found by file, whichever module registers it). */
async function controllers(): Promise<Type[]> {
  const found: Type[] = [];
  for (const file of readdirSync(__dirname).filter((f) => f.endsWith('.controller.ts'))) {
    const mod = (await import(join(__dirname, file))) as Record<string, unknown>;
    for (const value of Object.values(mod)) {
      if (typeof value === 'function' && Reflect.getMetadata('path', value) !== undefined) found.push(value as Type);
    }
  }
  return found;
}

let app: INestApplication;
let document: OpenAPIObject;

beforeAll(async () => {
  const moduleRef = await Test.createTestingModule({ controllers: await controllers() })
    .useMocker((token) => (typeof token === 'function' ? automock(token as Type) : {}))
    .compile();
  app = moduleRef.createNestApplication({ logger: false });
  document = cleanupOpenApiDoc(SwaggerModule.createDocument(app, new DocumentBuilder().build()));
});

afterAll(() => app?.close());

type Operation = { responses?: Record<string, { content?: Record<string, { schema?: unknown }> }> };

function operations(): { key: string; operation: Operation }[] {
  return Object.entries(document.paths).flatMap(([path, item]) =>
    Object.entries(item as Record<string, Operation>)
      .filter(([method]) => ['get', 'put', 'post', 'patch', 'delete'].includes(method))
      .map(([method, operation]) => ({ key: `${method.toUpperCase()} ${path}`, operation })),
  );
}

function declaresResponse(operation: Operation): boolean {
  return Object.entries(operation.responses ?? {}).some(
    ([status, response]) => /^2\d\d$/.test(status) && (status === '204' || Object.values(response.content ?? {}).some((c) => c.schema !== undefined)),
  );
}

describe('OpenAPI responses', () => {
  it('finds the routes', () => {
    expect(operations().length).toBeGreaterThan(50);
  });

  it('every operation declares a 2xx response schema', () => {
    const missing = operations()
      .filter(({ operation }) => !declaresResponse(operation))
      .map(({ key }) => key);
    expect(missing).toEqual([]);
  });
});
