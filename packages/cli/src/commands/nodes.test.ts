import { describe, expect, it } from 'vitest';
import { heartbeatAge } from './nodes.js';

describe('mr nodes: LAST HEARTBEAT', () => {
  it('is how long ago, never a future time (a master clock ahead of this one shows 0.0s ago)', () => {
    expect(heartbeatAge(10_000, 7_900)).toBe('2.1s ago');
    expect(heartbeatAge(10_000, 12_100)).toBe('0.0s ago');
  });
});
