import assert from 'node:assert/strict';
import { test } from 'node:test';
import { createFrameLimit } from '../../src/guards/frame-limit.ts';

const cases: Array<{ name: string; chunks: number[][]; max: number; expect: Array<'ok' | 'too_large' | 'malformed'> }> = [
  { name: 'a pingreq', chunks: [[0xc0, 0x00]], max: 64, expect: ['ok'] },
  { name: 'two small frames in one chunk', chunks: [[0x30, 0x02, 1, 2, 0x30, 0x01, 9]], max: 64, expect: ['ok'] },
  { name: 'exactly the limit', chunks: [[0x30, 62, ...new Array<number>(62).fill(0)]], max: 64, expect: ['ok'] },
  { name: 'one byte over, decided from the header alone', chunks: [[0x30, 63]], max: 64, expect: ['too_large'] },
  { name: 'multi-byte length split across chunks', chunks: [[0x30, 0x80], [0x80, 0x01]], max: 1024, expect: ['ok', 'too_large'] },
  { name: 'payload split across chunks, then the next header', chunks: [[0x30, 10, 1, 2, 3], [4, 5, 6, 7, 8, 9, 10, 0x30, 0xff, 0xff, 0xff, 0x7f]], max: 1024, expect: ['ok', 'too_large'] },
  { name: 'five length bytes', chunks: [[0x30, 0xff, 0xff, 0xff, 0xff, 0x01]], max: 1 << 30, expect: ['malformed'] },
];

test('frame size is decided from the fixed header', () => {
  for (const c of cases) {
    const feed = createFrameLimit(c.max);
    assert.deepEqual(
      c.chunks.map((chunk) => feed(Buffer.from(chunk))),
      c.expect,
      c.name,
    );
  }
});
