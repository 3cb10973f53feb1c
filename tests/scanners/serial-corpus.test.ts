import { describe, expect, it } from 'vitest';
import { FrameDecoder } from '../../core/scanner/frame-decoder';
import { replayTimeline } from '../../core/scanner/replay';
import { frameConfigOfFixture, serialFixtures, serialTimeline } from './serial-corpus';

describe('the serial corpus (tests/fixtures/scanners/serial), replayed through the decoder', () => {
  const fixtures = serialFixtures();
  it('holds recordings', () => expect(fixtures.length).toBeGreaterThanOrEqual(12));
  it.each(fixtures.map((f) => [f.file, f] as const))('%s', (_file, fixture) => {
    const result = replayTimeline(new FrameDecoder(frameConfigOfFixture(fixture)), serialTimeline(fixture));
    expect(result.frames.map((f) => f.code)).toEqual(fixture.expect.scans);
    expect(result.rejected.map((r) => r.reason)).toEqual(fixture.expect.rejected);
  });
});
