/**
 * RULE_STATE=shared (issue 10 §2, external-broker mode): a device's inputs wait in an inbox in
 * Redis ordered by device ts, and whichever process drains them commits the new rule state with a
 * compare-and-set on its version (RedisRepository.holdRuleInput / readRuleInbox / commitRuleInbox,
 * Lua scripts), the raises and clears it calls for put in the rule outbox by the same script. Three "processes" (each its own connection) on one REDIS_PREFIX, real Redis.
 */
import type { PlatformConfig } from '../../apps/platform/src/config/config';
import { compileRules, drainInputs, type RuleInput } from '../../apps/platform/src/domain/alarm-rules';
import { RedisRepository } from '../../apps/platform/src/repositories/redis.repository';
import { freshRedisPrefix } from '../support/databases';
import { testServices } from '../support/test-services';

type Input = Exclude<RuleInput, { kind: 'tick' }>;

describe('RedisRepository rule inbox and compare-and-set', () => {
  const config = { redis: { url: testServices().redisUrl, prefix: freshRedisPrefix() }, ingest: { deadLetterCap: 10 } } as PlatformConfig;
  const processes = [new RedisRepository(config), new RedisRepository(config), new RedisRepository(config)];
  const [a, b] = processes;
  let nonce = 0;
  const member = (input: Input) => JSON.stringify({ n: nonce++, i: input });

  afterAll(async () => {
    await Promise.all(processes.map((p) => p.onApplicationShutdown()));
  });

  it('orders held inputs by ts, commits only at the version read, and refuses inputs older than the newest evaluated', async () => {
    const id = 'inbox-1';
    const reading = (ts: number): Input => ({ kind: 'reading', reading: { power: 'battery' }, ts });
    expect(await a.holdRuleInput(id, 300, member(reading(300)))).toBe(true);
    expect(await b.holdRuleInput(id, 100, member(reading(100)))).toBe(true);
    expect(await a.heldRuleDevices(99, 10)).not.toContain(id);
    expect(await a.heldRuleDevices(100, 10)).toContain(id);

    const snapA = await a.readRuleInbox(id, 200, 100);
    expect(snapA).toMatchObject({ version: 0, json: '', newestTs: 0 });
    expect(snapA.inputs.map((m) => (JSON.parse(m) as { i: Input }).i.ts)).toEqual([100]); // up to the cut-off only
    const snapB = await b.readRuleInbox(id, 200, 100);
    expect(await a.commitRuleInbox({ deviceId: id, version: snapA.version, json: '{"x":[1,100,1,0,0]}', newestTs: 100, nextDeadline: 3100, inputs: snapA.inputs, ops: [], replayAt: 0 })).toBe(1);
    // b drained the same snapshot: refused, nothing applied twice.
    expect(await b.commitRuleInbox({ deviceId: id, version: snapB.version, json: '{"x":[1,100,2,0,0]}', newestTs: 100, nextDeadline: 3100, inputs: snapB.inputs, ops: [], replayAt: 0 })).toBeNull();
    expect(await a.readRuleState(id)).toBe('{"x":[1,100,1,0,0]}');
    expect(await a.dueRuleDevices(3100, 10)).toContain(id);
    // The ts-300 input still waits; the held set now scores the device by it.
    expect(await a.heldRuleDevices(299, 10)).not.toContain(id);
    expect(await a.heldRuleDevices(300, 10)).toContain(id);

    // Older than the newest evaluated (100): refused at once.
    expect(await a.holdRuleInput(id, 50, member(reading(50)))).toBe(false);

    const rest = await b.readRuleInbox(id, 1000, 100);
    expect(rest.version).toBe(1);
    expect(rest.inputs).toHaveLength(1);
    // Idle again: the state is removed, the device leaves the held and due sets.
    expect(await b.commitRuleInbox({ deviceId: id, version: 1, json: '{}', newestTs: 300, nextDeadline: 0, inputs: rest.inputs, ops: [], replayAt: 0 })).toBe(2);
    expect(await a.readRuleState(id)).toBeNull();
    expect(await a.heldRuleDevices(Number.MAX_SAFE_INTEGER, 10)).not.toContain(id);
    expect(await a.dueRuleDevices(Number.MAX_SAFE_INTEGER, 10)).not.toContain(id);
  });

  it('a commit puts its ops in the rule outbox; a lost commit puts none; each due op is claimed by one process per lease', async () => {
    const id = 'outbox-1';
    await a.holdRuleInput(id, 100, member({ kind: 'event', type: 'safety_circuit_open', active: true, ts: 100 }));
    const snap = await a.readRuleInbox(id, 200, 100);
    const op = (n: number): [string, string] => [`${id}:${n}`, JSON.stringify({ action: 'raise', n })];
    expect(await a.commitRuleInbox({ deviceId: id, version: snap.version, json: '{"x":[1,100,1,1,0]}', newestTs: 100, nextDeadline: 0, inputs: snap.inputs, ops: [op(1), op(2)], replayAt: 5000 })).toBe(1);
    expect(await b.commitRuleInbox({ deviceId: id, version: snap.version, json: '{"x":[1,100,1,1,0]}', newestTs: 100, nextDeadline: 0, inputs: snap.inputs, ops: [op(3)], replayAt: 5000 })).toBeNull();
    expect((await a.readRuleInbox(id, 200, 100)).inputs).toEqual([]);

    expect(await b.claimRuleOutbox(4999, 9000, 10)).toEqual([]); // not due yet: the committing process executes them
    const [first, second] = await Promise.all([a.claimRuleOutbox(5000, 9000, 10), b.claimRuleOutbox(5000, 9000, 10)]);
    expect([...first, ...second].sort()).toEqual([op(1), op(2)]); // op 3 was never written
    expect(first.length === 0 || second.length === 0).toBe(true);
    expect(await processes[2].claimRuleOutbox(8999, 13_000, 10)).toEqual([]); // leased
    await a.removeRuleOutbox([op(1)[0]]);
    expect(await processes[2].claimRuleOutbox(9000, 13_000, 10)).toEqual([op(2)]); // the lease ran out: claimable again
    await a.removeRuleOutbox([op(2)[0]]);
    expect(await processes[2].claimRuleOutbox(Number.MAX_SAFE_INTEGER, Number.MAX_SAFE_INTEGER, 10)).toEqual([]);
  });

  it('three processes holding and draining one device at once: every input evaluated once, in ts order, one raise in all', async () => {
    const id = 'inbox-race';
    const set = compileRules('elevator', null, { thresholds: { doorOpenMovingCount: 5 } });
    const open = { mode: 'normal', direction: 'up', floor: 3, atLevel: false, door: 'open', speed: 1, occupied: false, power: 'mains', safetyCircuit: 'closed' };
    // Five readings in a row, held by whichever process received them, in any order of arrival.
    await Promise.all([4, 2, 0, 3, 1].map((i) => processes[i % 3].holdRuleInput(id, 1000 + i, member({ kind: 'reading', reading: open, ts: 1000 + i }))));
    const raised: string[] = [];
    let conflicts = 0;
    const drain = async (redis: RedisRepository, name: string) => {
      for (;;) {
        const snap = await redis.readRuleInbox(id, 2000, 100);
        const inputs = snap.inputs.map((m) => (JSON.parse(m) as { i: Input }).i);
        const r = drainInputs(set, snap.json || undefined, snap.newestTs, inputs, 2000);
        const version = await redis.commitRuleInbox({ deviceId: id, version: snap.version, json: r.json, newestTs: r.newestTs, nextDeadline: r.state.nextDeadline, inputs: snap.inputs, ops: [], replayAt: 0 });
        if (version === null) {
          conflicts++;
          continue;
        }
        for (const t of r.transitions) raised.push(`${t.action}:${t.type}:${name}`);
        return;
      }
    };
    await Promise.all(processes.map((p, i) => drain(p, `p${i}`)));
    expect(raised).toHaveLength(1);
    expect(raised[0]).toMatch(/^raise:moving_with_door_open:p[012]$/);
    const stored = JSON.parse((await a.readRuleState(id))!) as Record<string, number[]>;
    expect(stored['infer.moving_with_door_open'][2]).toBe(5); // five hits: none lost or applied twice
    expect(conflicts).toBeLessThanOrEqual(2);
  });
});
