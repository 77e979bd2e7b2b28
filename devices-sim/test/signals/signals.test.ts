import assert from 'node:assert/strict';
import { test } from 'node:test';
import { createGpsTracker, distanceM, type LatLon } from '../../src/signals/gps-tracker.ts';
import { createSignal, profiles, type Signal } from '../../src/signals/index.ts';
import { createPowerMeter } from '../../src/signals/power-meter.ts';
import { createThermostat } from '../../src/signals/thermostat.ts';

const START_MS = Date.UTC(2026, 0, 5, 0, 0, 0);

function run(signal: Signal, samples: number, stepMs: number) {
  return Array.from({ length: samples }, (_, i) => signal.sample(START_MS + i * stepMs));
}

test('same seed and device id give the same values; another seed or device gives others', () => {
  for (const profile of profiles) {
    const a = run(createSignal(profile, 42, 'sim-1'), 200, 1000);
    const b = run(createSignal(profile, 42, 'sim-1'), 200, 1000);
    assert.deepEqual(a, b, profile);
    assert.notDeepEqual(run(createSignal(profile, 43, 'sim-1'), 200, 1000), a, `${profile}: other seed`);
    assert.notDeepEqual(run(createSignal(profile, 42, 'sim-2'), 200, 1000), a, `${profile}: other device`);
  }
});

test('power meter: energy never decreases, also when the clock steps back', () => {
  for (let seed = 0; seed < 20; seed++) {
    const meter = createPowerMeter(seed);
    let previous = -Infinity;
    let t = START_MS;
    for (let i = 0; i < 3000; i++) {
      // mostly forward by up to a minute, now and then backwards
      t += i % 97 === 0 ? -30_000 : 1 + ((i * 7919) % 60_000);
      const r = meter.sample(t);
      assert.ok(r.energy! >= previous, `seed ${seed} sample ${i}: ${r.energy} < ${previous}`);
      previous = r.energy!;
      assert.ok(r.voltage! > 200 && r.voltage! < 260, `voltage ${r.voltage}`);
      assert.ok(r.current! > 0 && r.current! < 60, `current ${r.current}`);
      assert.ok(Math.abs(r.power! - r.voltage! * r.current!) <= r.voltage! * r.current! * 0.15, 'power ≈ V·I·pf');
    }
  }
});

test('power meter: energy grows by about the integrated power', () => {
  const meter = createPowerMeter(7);
  const first = meter.sample(START_MS);
  let wattHours = 0;
  let last = first;
  for (let i = 1; i <= 3600; i++) {
    last = meter.sample(START_MS + i * 1000);
    wattHours += last.power! / 3600;
  }
  assert.ok(Math.abs((last.energy! - first.energy!) * 1000 - wattHours) < 5, `${(last.energy! - first.energy!) * 1000} Wh vs ${wattHours}`);
});

function distanceToSegmentM(p: LatLon, a: LatLon, b: LatLon): number {
  // project in a local flat frame around a
  const k = Math.cos((a.lat * Math.PI) / 180);
  const bx = (b.lon - a.lon) * k;
  const by = b.lat - a.lat;
  const px = (p.lon - a.lon) * k;
  const py = p.lat - a.lat;
  const t = Math.max(0, Math.min(1, (px * bx + py * by) / (bx * bx + by * by)));
  return distanceM(p, { lat: a.lat + by * t, lon: a.lon + (bx * t) / k });
}

test('gps tracker stays on its route, moves at a plausible speed, battery drains moving and charges parked', () => {
  for (let seed = 0; seed < 10; seed++) {
    const tracker = createGpsTracker(seed);
    const route = tracker.route;
    let previous: LatLon | undefined;
    let sawMoving = false;
    let sawParked = false;
    let lastBattery: number | undefined;
    let lastMoving: number | undefined;
    for (let i = 0; i < 4 * 3600; i++) {
      const r = tracker.sample(START_MS + i * 1000);
      const here = { lat: r.lat!, lon: r.lon! };
      const offRouteM = Math.min(...route.map((a, j) => distanceToSegmentM(here, a, route[(j + 1) % route.length]!)));
      assert.ok(offRouteM < 0.5, `seed ${seed} t=${i}s: ${offRouteM.toFixed(2)} m off the route`);
      if (previous) assert.ok(distanceM(previous, here) <= (60 / 3.6) * 1 + 0.5, `seed ${seed}: jumped ${distanceM(previous, here)} m in 1 s`);
      assert.ok(r.battery! >= 0 && r.battery! <= 100);
      if (lastBattery !== undefined && lastMoving === r.moving) {
        if (r.moving === 1) assert.ok(r.battery! <= lastBattery, 'drains while moving');
        else assert.ok(r.battery! >= lastBattery, 'charges while parked');
      }
      if (r.moving === 1) {
        sawMoving = true;
        assert.ok(r.speed! >= 25 && r.speed! <= 60, `speed ${r.speed}`);
      } else {
        sawParked = true;
        assert.equal(r.speed, 0);
      }
      previous = here;
      lastBattery = r.battery;
      lastMoving = r.moving;
    }
    assert.ok(sawMoving && sawParked, `seed ${seed}: both moving and parked within 4 h`);
  }
});

test('thermostat: a daily cycle around the setpoint, warmer in the afternoon than at night', () => {
  const thermostat = createThermostat(3);
  const day = run(thermostat, 24 * 60, 60_000);
  const setpoint = day[0]!.setpoint!;
  for (const r of day) {
    assert.ok(Math.abs(r.temperature! - setpoint) < 4, `temperature ${r.temperature} vs setpoint ${setpoint}`);
    assert.ok(r.humidity! >= 15 && r.humidity! <= 95);
  }
  const at = (hour: number) => day[hour * 60]!.temperature!;
  assert.ok(at(15) > at(3) + 1, `15:00 ${at(15)} vs 03:00 ${at(3)}`);
  // humidity moves against temperature
  assert.ok(day[15 * 60]!.humidity! < day[3 * 60]!.humidity!);
});
