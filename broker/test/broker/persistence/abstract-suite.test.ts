// aedes-persistence's own abstract test suite, run against the SQLite persistence: the contract
// every aedes persistence keeps (retained, subscriptions, queues, incoming QoS 2, wills).
import { createRequire } from 'node:module';
import path from 'node:path';
import { after, test } from 'node:test';
import { SqlitePersistence } from '../../../src/broker/persistence/sqlite-persistence.ts';
import { tempDirFor } from '../../../../test/support/temp-dir.ts';

const require = createRequire(import.meta.url);
const abstractSuite = require('aedes-persistence/abstract.js') as (opts: { test: typeof test; persistence: () => unknown; testAsync: boolean }) => void;

const dir = tempDirFor({ after }, 'telemq-abstract-');
let n = 0;

abstractSuite({
  test,
  testAsync: true,
  persistence: () =>
    new SqlitePersistence({
      // a file per instance, as the suite expects each instance to start empty
      file: path.join(dir, `sessions-${++n}.sqlite`),
      queueBounds: { maxMessages: 100_000, maxBytes: 1 << 30 },
      sessionExpirySec: 0,
      onDropped: () => {},
      onCommitError: (err) => {
        throw err;
      },
    }),
});
