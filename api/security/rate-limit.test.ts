/** The failure limiter's window and the client a failure counts against. */
import { describe, expect, it } from 'vitest';
import { clientKey, FailureLimiter } from './rate-limit.ts';

describe('failed-authentication limiter', () => {
  it('refuses the 11th failure within a minute and lets the client in again as the oldest leaves the window', () => {
    let now = 1_000_000;
    const limiter = new FailureLimiter(10, 60_000, () => now);
    for (let i = 0; i < 10; i++) {
      expect(limiter.retryAfterS('10.0.0.5')).toBe(0);
      limiter.fail('10.0.0.5');
      now += 1000;
    }
    // first failure at 1 000 000, now 1 010 000: it leaves the window at 1 060 000, in 50 s
    expect(limiter.retryAfterS('10.0.0.5')).toBe(50);
    expect(limiter.retryAfterS('10.0.0.6')).toBe(0);
    now += 50_000;
    expect(limiter.retryAfterS('10.0.0.5')).toBe(0);
  });

  it('counts an IPv4 address as itself and an IPv6 address by its /64', () => {
    expect(clientKey('10.0.0.5')).toBe('10.0.0.5');
    expect(clientKey('::ffff:10.0.0.5')).toBe('10.0.0.5');
    expect(clientKey('2001:db8:1:2:aaaa::1')).toBe('2001:db8:1:2::/64');
    expect(clientKey('2001:0db8:0001:0002:ffff:1:2:3')).toBe('2001:db8:1:2::/64');
    expect(clientKey('2001:db8::1')).toBe('2001:db8:0:0::/64');
    expect(clientKey('::1')).toBe('0:0:0:0::/64');
  });
});
