import '../support/native-pglite';
import { publishJson, startTestPlatform, waitForInfluxRows } from '../support/platform';
import { InfluxRepository } from '../../apps/platform/src/repositories/influx.repository';
it('probe', async () => {
  const tp = await startTestPlatform();
  try {
    const c = (await tp.createCommunity()).id;
    const smoke = await tp.provisionDevice(c, 'fire', { subtype: 'smoke_detector', id: 'smoke1' });
    const gate = await tp.provisionDevice(c, 'gate', { id: 'gate1' });
    const cs = await tp.connectDevice(smoke);
    const cg = await tp.connectDevice(gate);
    await publishJson(cs, 'v1/devices/smoke1/telemetry', [{ flags: { fire: false } }, {}, { flags: {} }, { flags: { fault: true } }]);
    await publishJson(cg, 'v1/devices/gate1/events', { type: 'vehicle', lane: 'L 1,=x"\\', direction: 'out', plate: '京A"12\\34 5', confidence: 0 });
    await publishJson(cg, 'v1/devices/gate1/telemetry', { barrier: 'closed' });
    await tp.platform.app.get(InfluxRepository).flush(5000).catch((e) => console.log('flush', e.message));
    console.log('smoke', JSON.stringify(await tp.influxRows('SELECT * FROM fire')));
    console.log('gate', JSON.stringify(await tp.influxRows('SELECT * FROM gate')));
    console.log('dropped', await tp.metric('spp_influx_points_dropped_total'), 'written', await tp.metric('spp_influx_points_written_total'));
    console.log((await tp.api('GET', '/api/v1/devices/smoke1/telemetry')).body);
    console.log(JSON.stringify((await tp.api('GET', '/api/v1/devices/gate1/telemetry?every=1m')).body));
  } finally { await tp.close(); }
});
