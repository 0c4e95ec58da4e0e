import { expect } from 'chai';
import {
  formatGoDuration,
  formatMicroTime,
  formatTime,
  shortestFloat32,
} from '../../../src/simulator/protobuf/go-json.js';

/** Expected strings are Go's own output (time.Duration.String, metav1 time JSON). */
describe('Go JSON forms of special Kubernetes types', () => {
  it('formats metav1.Time as RFC 3339 at whole seconds in UTC', () => {
    expect(formatTime(1704164645)).to.equal('2024-01-02T03:04:05Z');
    expect(formatTime(0)).to.equal('1970-01-01T00:00:00Z');
    expect(formatTime(-300)).to.equal('1969-12-31T23:55:00Z');
  });

  it('formats metav1.MicroTime with exactly six fractional digits, truncating nanoseconds', () => {
    expect(formatMicroTime(1704164645, 123456789)).to.equal('2024-01-02T03:04:05.123456Z');
    expect(formatMicroTime(1704164645, 0)).to.equal('2024-01-02T03:04:05.000000Z');
    expect(formatMicroTime(1704164645, 999)).to.equal('2024-01-02T03:04:05.000000Z');
    expect(formatMicroTime(1704164645, 1_500_000_000)).to.equal('2024-01-02T03:04:06.500000Z');
  });

  it('formats metav1.Duration like Go time.Duration.String()', () => {
    const cases: Array<[number | bigint, string]> = [
      [0, '0s'],
      [1, '1ns'],
      [500, '500ns'],
      [1500, '1.5µs'],
      [2_500_000, '2.5ms'],
      [1_500_000_000, '1.5s'],
      [1_000_000_001, '1.000000001s'],
      [300_000_000_000, '5m0s'],
      [5_400_000_000_000, '1h30m0s'],
      [3_600_000_000_000, '1h0m0s'],
      [-123_500_000_000, '-2m3.5s'],
      [360_000_000_000_000, '100h0m0s'],
      [9223372036854775807n, '2562047h47m16.854775807s'],
    ];
    for (const [nanoseconds, expected] of cases) {
      expect(formatGoDuration(nanoseconds), `${nanoseconds}ns`).to.equal(expected);
    }
  });

  it('prints a float32 as its shortest decimal, as Go does', () => {
    expect(shortestFloat32(Math.fround(0.1))).to.equal(0.1);
    expect(shortestFloat32(Math.fround(1.5))).to.equal(1.5);
    expect(shortestFloat32(Math.fround(16777217))).to.equal(16777216);
    expect(shortestFloat32(0)).to.equal(0);
  });
});
