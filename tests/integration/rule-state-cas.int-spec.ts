/**
 * RULE_STATE=shared (issue 10 §2, external-broker mode): a device's alarm rule state is written
 * with a compare-and-set on its version (RedisRepository.casRuleState, a Lua script), so processes
 * that each see a share of one device's messages never overwrite each other's evaluation. Three
 * "processes" (each its own connection) on one REDIS_PREFIX, against the run's real Redis.
 */
import type { PlatformConfig } from '../../apps/platform/src/config/config';
import { compileRules, evaluateStored, type RuleInput } from '../../apps/platform/src/domain/alarm-rules';
import { RedisRepository } from '../../apps/platform/src/repositories/redis.repository';
import { freshRedisPrefix } from '../support/databases';
import { testServices } from '../support/test-services';

describe('RedisRepository.casRuleState', () => {
  const config = { redis: { url: testServices().redisUrl, prefix: freshRedisPrefix() }, ingest: { deadLetterCap: 10 } } as PlatformConfig;
  const processes = [new RedisRepository(config), new RedisRepository(config), new RedisRepository(config)];
  const [a, b] = processes;

  afterAll(async () => {
    await Promise.all(processes.map((p) => p.onApplicationShutdown()));
  });

  it('writes only at the version read; a loser gets the winner state and version in the same answer', async () => {
    const id = 'cas-1';
    // Nothing read yet (version -1): the answer is the current state, version 0.
    expect(await a.casRuleState({ deviceId: id, expectedVersion: -1, nextDeadline: 0 })).toEqual({ outcome: 'conflict', version: 0, json: '', newestTs: 0 });
    expect(await a.casRuleState({ deviceId: id, expectedVersion: 0, json: '{"x":[1,5,1,0,0]}', ts: 5, nextDeadline: 1005 })).toEqual({ outcome: 'ok', version: 1 });
    // b read at version 0 too: its write is refused, and it learns what a wrote.
    expect(await b.casRuleState({ deviceId: id, expectedVersion: 0, json: '{"x":[1,6,1,0,0]}', ts: 6, nextDeadline: 1006 })).toEqual({
      outcome: 'conflict',
      version: 1,
      json: '{"x":[1,5,1,0,0]}',
      newestTs: 5,
    });
    expect(await b.casRuleState({ deviceId: id, expectedVersion: 1, json: '{"x":[1,5,2,0,0]}', ts: 6, nextDeadline: 1005 })).toEqual({ outcome: 'ok', version: 2 });
    // An unchanged state keeps the version (processes with a current copy stay current) but records the ts.
    expect(await a.casRuleState({ deviceId: id, expectedVersion: 2, ts: 9, nextDeadline: 1005 })).toEqual({ outcome: 'ok', version: 2 });
    // Older than the newest evaluated input: stale, whatever version the caller holds.
    expect(await a.casRuleState({ deviceId: id, expectedVersion: 2, json: '{}', ts: 8, nextDeadline: 0 })).toEqual({ outcome: 'stale', newestTs: 9 });
    expect(await a.casRuleState({ deviceId: id, expectedVersion: -1, ts: 8, nextDeadline: 0 })).toEqual({ outcome: 'stale', newestTs: 9 });
    // Ticks carry no ts.
    expect((await a.casRuleState({ deviceId: id, expectedVersion: 2, nextDeadline: 1005 })).outcome).toBe('ok');
    expect(await a.readRuleState(id)).toBe('{"x":[1,5,2,0,0]}');
  });

  it('keeps the due set in step with the written state', async () => {
    const id = 'cas-due';
    expect(await a.casRuleState({ deviceId: id, expectedVersion: 0, json: '{"x":[1,100,1,0,0]}', ts: 100, nextDeadline: 3100 })).toEqual({ outcome: 'ok', version: 1 });
    expect(await b.dueRuleDevices(3099, 100)).not.toContain(id);
    expect(await b.dueRuleDevices(3100, 100)).toContain(id);
    // Idle again: the state is removed and the device leaves the due set; the version keeps counting.
    expect(await b.casRuleState({ deviceId: id, expectedVersion: 1, json: '{}', ts: 200, nextDeadline: 0 })).toEqual({ outcome: 'ok', version: 2 });
    expect(await a.readRuleState(id)).toBeNull();
    expect(await a.dueRuleDevices(Number.MAX_SAFE_INTEGER, 100)).not.toContain(id);
  });

  it('three processes racing on one device with evaluateStored: every input applied once, one raise in all', async () => {
    const id = 'cas-race';
    const set = compileRules('elevator', null, { thresholds: { doorOpenMovingCount: 5 } });
    const open = { mode: 'normal', direction: 'up', floor: 3, atLevel: false, door: 'open', speed: 1, occupied: false, power: 'mains', safetyCircuit: 'closed' };
    const raised: string[] = [];
    let cas = 0;
    // Each process: its copy of the state, evaluate, CAS, retry on the state that won.
    const run = async (redis: RedisRepository, copy: { json: string; version: number }, input: RuleInput, name: string) => {
      for (;;) {
        const r = evaluateStored(set, copy.json || undefined, input, 1000);
        cas++;
        const reply = await redis.casRuleState({ deviceId: id, expectedVersion: copy.version, json: r.json, nextDeadline: r.state.nextDeadline });
        if (reply.outcome === 'conflict') {
          [copy.json, copy.version] = [reply.json, reply.version];
          continue;
        }
        if (reply.outcome === 'ok') {
          copy.version = reply.version;
          if (r.json !== undefined) copy.json = r.json === '{}' ? '' : r.json;
          for (const t of r.transitions) raised.push(`${t.action}:${t.type}:${name}`);
        }
        return;
      }
    };
    // 5 readings in a row, all at once from three processes (no ts: only the version orders them).
    const copies = processes.map(() => ({ json: '', version: -1 }));
    await Promise.all(
      [0, 1, 2, 3, 4].map((i) => run(processes[i % 3], copies[i % 3], { kind: 'reading', reading: open, ts: 1000 }, `p${i % 3}`)),
    );
    expect(raised).toHaveLength(1);
    expect(raised[0]).toMatch(/^raise:moving_with_door_open:p[012]$/);
    const stored = JSON.parse((await a.readRuleState(id))!) as Record<string, number[]>;
    expect(stored['infer.moving_with_door_open'][2]).toBe(5); // five hits: no input lost or applied twice
    expect(cas).toBeGreaterThanOrEqual(5);
  });
});
