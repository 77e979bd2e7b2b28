// The seam to aedes: the start-up check finds every internal telemq relies on in the pinned aedes,
// and names the one that moved when it is not there.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { Aedes } from 'aedes';
import { AEDES_VERSION, checkAedesInternals, installedAedesVersion } from '../../src/broker/aedes-internals.ts';

test('the installed aedes is the pinned version, and broker/package.json pins it exactly', () => {
  assert.equal(installedAedesVersion(), AEDES_VERSION);
  const manifest = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { dependencies: Record<string, string> };
  assert.equal(manifest.dependencies.aedes, AEDES_VERSION);
});

test('every internal telemq uses is where it expects it in the installed aedes', async (t) => {
  const aedes = await Aedes.createBroker();
  t.after(() => new Promise<void>((resolve) => aedes.close(() => resolve())));
  assert.deepEqual(checkAedesInternals(aedes), []);
});

test('an aedes whose client lost an internal is refused with that internal named', async (t) => {
  const aedes = await Aedes.createBroker();
  t.after(() => new Promise<void>((resolve) => aedes.close(() => resolve())));
  const handle = aedes.handle.bind(aedes);
  aedes.handle = ((stream: Parameters<typeof handle>[0]) => {
    const client = handle(stream) as unknown as Record<string, unknown>;
    delete client._parsingBatch;
    client.deliverQoS = () => {};
    return client;
  }) as unknown as typeof aedes.handle;
  const problems = checkAedesInternals(aedes);
  assert.ok(problems.some((p) => p.includes('_parsingBatch')), problems.join('; '));
  assert.ok(problems.some((p) => p.includes('deliverQoS')), problems.join('; '));
});
