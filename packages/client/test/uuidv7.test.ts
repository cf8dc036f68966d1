// The project's own UUIDv7 generator, checked against the uuid package as
// the oracle: what uuid says of each id (valid, version 7, the variant, the
// time it carries, the bytes it parses to) must hold for ours.
import { parse, stringify, v7, validate, version } from 'uuid';
import { describe, expect, it } from 'vitest';
import { uuidv7 } from '../src/index.js';

describe('uuidv7 against the uuid package', () => {
  it('makes ids uuid validates as version 7 with the RFC 9562 variant', () => {
    for (let i = 0; i < 2_000; i += 1) {
      const id = uuidv7(1_700_000_000_000 + (i % 7));
      expect(validate(id)).toBe(true);
      expect(version(id)).toBe(7);
      // The variant: the top two bits of byte 8 are 10.
      expect((parse(id)[8] as number) >> 6).toBe(0b10);
    }
  });

  it('round-trips through uuid.parse and uuid.stringify', () => {
    for (let i = 0; i < 1_000; i += 1) {
      const id = uuidv7();
      expect(stringify(parse(id))).toBe(id);
    }
  });

  it('carries the same 48-bit millisecond time as uuid.v7 for that time', () => {
    for (const msecs of [0, 1, 1_700_000_000_000, 2 ** 48 - 1, Date.now()]) {
      const ours = parse(uuidv7(msecs)).subarray(0, 6);
      const oracle = parse(v7({ msecs })).subarray(0, 6);
      expect(Buffer.from(ours).toString('hex')).toBe(Buffer.from(oracle).toString('hex'));
    }
  });

  it('sorts in the order it was made, as byte strings and as text', () => {
    const ids = Array.from({ length: 20_000 }, (_, i) =>
      uuidv7(1_700_000_000_000 + Math.floor(i / 300)),
    );
    for (let i = 1; i < ids.length; i += 1) {
      expect(Buffer.compare(parse(ids[i - 1] as string), parse(ids[i] as string))).toBe(-1);
      expect((ids[i - 1] as string) < (ids[i] as string)).toBe(true);
    }
  });
});

describe('uuidv7', () => {
  it('makes RFC 9562 version 7 ids that sort by time and do not repeat', () => {
    const ids = Array.from({ length: 50_000 }, (_, i) =>
      uuidv7(1_700_000_000_000 + Math.floor(i / 100)),
    );
    for (const id of ids.slice(0, 100)) {
      expect(id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    }
    expect(new Set(ids).size).toBe(ids.length);
    expect(ids[0]?.slice(0, 13)).toBe('018bcfe5-6800');
    const first = ids[0] as string;
    const last = ids[ids.length - 1] as string;
    expect(first.slice(0, 13) < last.slice(0, 13)).toBe(true);
  });

  it('fills each of the 74 random bits: across milliseconds every random digit takes all its values', () => {
    const seen = new Map<number, Set<string>>();
    // One id per millisecond, each from a new seed, and more seeds than one
    // pool of random bytes gives, so a refill is crossed.
    for (let i = 0; i < 5_000; i += 1) {
      const id = uuidv7(1_700_000_000_000 + i);
      for (let at = 15; at < 36; at += 1) {
        if (at === 18 || at === 23) continue;
        const values = seen.get(at) ?? new Set<string>();
        values.add(id[at] as string);
        seen.set(at, values);
      }
    }
    expect(seen.size).toBe(19);
    for (const [at, values] of seen) {
      expect([at, values.size]).toEqual([at, at === 19 ? 4 : 16]);
    }
  });

  it('counts up within a millisecond, and carries into the digits above a counter that runs out', () => {
    // More ids in one millisecond than the counter's 16 bits hold.
    const ids = Array.from({ length: 70_000 }, () => uuidv7(1_800_000_000_000));
    expect(new Set(ids).size).toBe(ids.length);
    let carries = 0;
    for (let i = 1; i < ids.length; i += 1) {
      const before = ids[i - 1] as string;
      const id = ids[i] as string;
      expect(id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
      expect(id.slice(0, 15)).toBe(before.slice(0, 15));
      expect(before < id).toBe(true);
      if (id.slice(0, 32) === before.slice(0, 32)) {
        expect(Number.parseInt(id.slice(32), 16)).toBe(Number.parseInt(before.slice(32), 16) + 1);
      } else {
        // Only a counter at its end moves the digits above it, by one.
        expect([before.slice(32), id.slice(32)]).toEqual(['ffff', '0000']);
        const above = (text: string) => BigInt(`0x${text.slice(24, 32)}`);
        expect(above(id) - above(before)).toBe(1n);
        carries += 1;
      }
    }
    expect(carries).toBeGreaterThan(0);
  });
});
