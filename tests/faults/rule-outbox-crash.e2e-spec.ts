/**
 * Issue 10, RULE_STATE=shared: `kill -9` between a drain's commit of a device's rule state (Redis)
 * and its alarm (PostgreSQL). The commit also wrote the raise to the rule outbox, so the process
 * started again replays it: one alarm, told once. And a process killed after the alarm's commit but
 * before the raise left the outbox: the replay changes nothing. The built platform (`npm run build`
 * first) on the embedded broker with RULE_STATE=shared and the test-only hook FAULT_INJECT.
 */
import { recordFault } from '../support/fault-report';
import { crashAtThenRestart } from '../support/one-device-fleet';
import { waitFor } from '../support/wait';

jest.setTimeout(300_000);

const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

interface AlarmView {
  alarmId: string;
  type: string;
  count: number;
  history: Array<{ action: string; detail: { tier?: number; kind?: string } }>;
}

/**
 * The lift reports its safety circuit open; the platform (RULE_STATE=shared) kills itself at
 * `point` and is started again without the hook. Returns the lift's alarms once one has been
 * replayed from the outbox, as seen through the API.
 */
async function crashThenReplay(name: string, point: string) {
  const { platform, device: lift, killedAt, token, api } = await crashAtThenRestart({
    kind: 'elevator',
    name,
    point,
    trigger: (client, device) => {
      client.publish(`v1/devices/${device.id}/events`, JSON.stringify({ type: 'safety_circuit_open', active: true }), { qos: 1 }, () => undefined);
    },
    // A short reorder window: the drain commits soon after the event.
    env: { RULE_STATE: 'shared', RULE_REORDER_WINDOW_MS: '200' },
    cleanups,
  });
  const replayed = await waitFor(() => platform.metric('spp_alarm_rule_ops_replayed_total'), {
    timeoutMs: 60_000,
    intervalMs: 250,
    message: `the raise replayed from the rule outbox; output: ${platform.log.slice(-2000)}`,
  });
  const recoverySeconds = (Date.now() - killedAt) / 1000;
  const alarms = async (): Promise<AlarmView[]> => {
    const list = (await api('GET', `alarms?deviceId=${lift.id}`, token)).body as Array<{ alarmId: string }>;
    return Promise.all(list.map(async (a) => (await api('GET', `alarms/${a.alarmId}`, token)).body as AlarmView));
  };
  return { platform, alarms, replayed, recoverySeconds };
}

const actions = (a: AlarmView, action: string) => a.history.filter((h) => h.action === action);

describe('fault: kill -9 between a rule commit and its alarm (issue 10, RULE_STATE=shared)', () => {
  it('the raise is replayed from the rule outbox: one alarm, its notification not doubled', async () => {
    const { platform, alarms, replayed, recoverySeconds } = await crashThenReplay('outbox-lift', 'crash-after-rule-commit');
    expect(replayed).toBe(1);
    // Tier 0 is told at once (the escalation job runs in this process).
    const [alarm] = await waitFor(async () => {
      const all = await alarms();
      return all.length > 0 && actions(all[0], 'notified').length > 0 ? all : null;
    }, { timeoutMs: 60_000, intervalMs: 500, message: `the replayed alarm and its notification; output: ${platform.log.slice(-2000)}` });
    const all = await alarms();
    expect(all.map((a) => `${a.type} ×${a.count}`)).toEqual(['safety_circuit_open ×1']);
    expect(actions(alarm, 'raised')).toHaveLength(1);
    expect(actions(alarm, 'repeated')).toHaveLength(0);
    const told = actions(all[0], 'notified').map((h) => `${h.detail.kind}:${h.detail.tier}`);
    expect(new Set(told).size).toBe(told.length);

    recordFault({
      fault: 'kill -9 between a rule commit (Redis) and its alarm (RULE_STATE=shared)',
      load: '1 device-reported fault (FAULT_INJECT=crash-after-rule-commit)',
      acknowledged: 1,
      stored: all.length,
      lost: Math.max(0, 1 - all.length),
      duplicated: Math.max(0, all.length - 1),
      recoverySeconds,
      notes: 'the raise replayed from the rule outbox by the restarted process; recovery includes the restart',
    });
  });

  it('a raise whose alarm was committed before the kill is replayed without changing it, and the alarm is still told', async () => {
    // Killed after the alarm's commit, before the raise left the rule outbox and before its escalation started.
    const { platform, alarms, replayed } = await crashThenReplay('outbox-lift2', 'crash-after-alarm-insert');
    expect(replayed).toBe(1);
    // Its history committed with it; its escalation starts from the alarm outbox.
    const [alarm] = await waitFor(async () => {
      const all = await alarms();
      return all.length > 0 && actions(all[0], 'notified').length > 0 ? all : null;
    }, { timeoutMs: 60_000, intervalMs: 500, message: `the alarm's notification after the restart; output: ${platform.log.slice(-2000)}` });
    const all = await alarms();
    expect(all.map((a) => `${a.type} ×${a.count}`)).toEqual(['safety_circuit_open ×1']);
    expect(actions(alarm, 'raised')).toHaveLength(1);
    expect(actions(all[0], 'repeated')).toHaveLength(0);
  });
});
