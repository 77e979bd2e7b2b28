import { topicMatches } from '@telemq/broker/contract';
import { describe, expect, test } from 'vitest';
import { createLiveHub } from '../src/live/hub.ts';
import { createFakeSource } from './fake-source.ts';

describe('topic matching', () => {
  test.each([
    ['devices/+/telemetry', 'devices/a/telemetry', true],
    ['devices/+/telemetry', 'devices/a/status', false],
    ['devices/#', 'devices', true],
    ['devices/#', 'devices/a/replies/ping', true],
    ['#', '$SYS/x/clients', false],
    ['$SYS/#', '$SYS/x/clients', true],
    ['+/+', 'a', false],
  ])('%s vs %s', (filter, topic, expected) => {
    expect(topicMatches(filter, topic)).toBe(expected);
  });
});

describe('live hub', () => {
  test('one subscription per filter, routed to every watcher, released by the last', async () => {
    const source = createFakeSource();
    const hub = createLiveHub(source);
    const a: string[] = [];
    const b: string[] = [];
    const wa = hub.watch('devices/+/telemetry', (m) => a.push(m.topic));
    const wb = hub.watch('devices/+/telemetry', (m) => b.push(m.topic));
    const wc = hub.watch('devices/d1/#', (m) => b.push(`#${m.topic}`));
    expect(await wa.result).toEqual({ ok: true });
    expect(source.subscribed).toEqual(['devices/+/telemetry', 'devices/d1/#']);
    source.deliver('devices/d1/telemetry', '{}');
    source.deliver('devices/d2/status', 'online');
    expect(a).toEqual(['devices/d1/telemetry']);
    expect(b).toEqual(['devices/d1/telemetry', '#devices/d1/telemetry']);
    wa.stop();
    expect(source.unsubscribed).toEqual([]);
    wb.stop();
    wc.stop();
    expect(source.unsubscribed).toEqual(['devices/+/telemetry', 'devices/d1/#']);
    await hub.close();
  });

  test('a refused filter is reported and asked again next time', async () => {
    const source = createFakeSource();
    source.refuse.add('#');
    const hub = createLiveHub(source);
    expect(await hub.watch('#', () => {}).result).toMatchObject({ ok: false, reason: 'refused' });
    await hub.watch('#', () => {}).result;
    expect(source.subscribed).toEqual(['#', '#']);
  });
});
