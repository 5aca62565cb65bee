/**
 * The unit tier for services (as immich's newTestService): builds a service with every constructor
 * dependency replaced by an automatic mock, so a service's rules are tested without a database,
 * Redis or a clock. A dependency's methods (its class's prototype chain) become jest.fn(); a field
 * such as a prom-client counter (`metrics.alarmsRaised.inc`) becomes a stub whose calls are recorded.
 *
 *   const { sut, mock } = newTestService(AlarmService);
 *   mock(AlarmRepository).findById.mockResolvedValue(row);
 *   await expect(sut.clear(user, row.id)).rejects.toThrow(ConflictException);
 *
 * Dependencies injected by token (the configuration) are plain stubs unless given in `provide`.
 */
import 'reflect-metadata';

type Class<T = any> = abstract new (...args: any[]) => T;

/** Properties that must stay absent so that a mock is not taken for a promise or a matcher. */
const NOT_STUBBED = new Set<PropertyKey>(['then', 'asymmetricMatch', 'toJSON', 'nodeType', '$$typeof']);

/** A jest.fn() whose unknown properties are stubs too (a counter's `.inc`, a client's `.get`). */
function stub(): any {
  const fields = new Map<PropertyKey, unknown>();
  return new Proxy(jest.fn(), {
    get(target, prop, receiver) {
      if (typeof prop === 'symbol' || NOT_STUBBED.has(prop) || prop in target) return Reflect.get(target, prop, receiver);
      if (!fields.has(prop)) fields.set(prop, stub());
      return fields.get(prop);
    },
  });
}

/** Every method of the class (and of its parents) as jest.fn(); other properties as stubs. */
export function automock<T>(cls: Class<T>): jest.Mocked<T> {
  const mock: Record<PropertyKey, unknown> = {};
  for (let proto = cls.prototype; proto && proto !== Object.prototype; proto = Object.getPrototypeOf(proto)) {
    for (const name of Object.getOwnPropertyNames(proto)) {
      if (name === 'constructor' || name in mock) continue;
      const descriptor = Object.getOwnPropertyDescriptor(proto, name);
      if (typeof descriptor?.value === 'function') mock[name] = jest.fn();
    }
  }
  return new Proxy(mock, {
    get(target, prop, receiver) {
      if (typeof prop === 'symbol' || NOT_STUBBED.has(prop) || prop in target) return Reflect.get(target, prop, receiver);
      target[prop] = stub();
      return target[prop];
    },
  }) as jest.Mocked<T>;
}

export interface TestService<S> {
  sut: S;
  /** The mock standing in for the dependency of that class (or injection token). */
  mock<T>(dependency: Class<T>): jest.Mocked<T>;
  mock(token: string | symbol): any;
}

/**
 * Builds `new Service(...mocks)` from the constructor's parameter types (emitted decorator
 * metadata) and its @Inject tokens. `provide` replaces a dependency (by class or token) with a value.
 */
export function newTestService<S>(service: new (...args: any[]) => S, provide: Map<unknown, unknown> = new Map()): TestService<S> {
  const types: unknown[] = Reflect.getMetadata('design:paramtypes', service) ?? [];
  if (types.length !== service.length) throw new Error(`${service.name}: no constructor metadata (is it @Injectable()?)`);
  const tokens: { index: number; param: unknown }[] = Reflect.getMetadata('self:paramtypes', service) ?? [];
  const byKey = new Map<unknown, unknown>();
  const args = types.map((type, index) => {
    const key = tokens.find((t) => t.index === index)?.param ?? type;
    if (!byKey.has(key)) {
      const injectable = typeof key === 'function' && key !== Object;
      byKey.set(key, provide.has(key) ? provide.get(key) : injectable ? automock(key as Class) : stub());
    }
    return byKey.get(key);
  });
  const sut = new service(...args);
  return {
    sut,
    mock: (key: unknown) => {
      if (!byKey.has(key)) throw new Error(`${service.name} does not depend on ${String((key as Class)?.name ?? key)}`);
      return byKey.get(key) as any;
    },
  };
}
