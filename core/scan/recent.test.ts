import { describe, expect, it } from 'vitest';
import type { FeedbackView } from '../station-api';
import { addScan, markRefused, refusalWords } from './recent';

const OP_A = '00000000-0000-4000-8000-00000000000a';
const OP_B = '00000000-0000-4000-8000-00000000000b';
const feedback = (message: string, queued: string[]): FeedbackView => ({
  kind: 'ok',
  message,
  code: message,
  scan: { code: message, deviceId: 'screen', receivedAt: Date.UTC(2027, 5, 12, 10) },
  queued,
});

describe('Recent scans: a scan the server refused later says so on its own entry', () => {
  it('marks the scan that queued the refused op, in words, and leaves the others', () => {
    let recent = addScan([], feedback('MIC-1042 out', [OP_A]), 8);
    recent = addScan(recent, feedback('MIC-1043 out', [OP_B]), 8);
    const marked = markRefused(recent, {
      opId: OP_A,
      kind: 'rejected',
      code: 'checked_out_elsewhere',
      message: 'MIC-1042 is checked out to Main Stage Day 2',
    });
    expect(marked.map((s) => [s.message, s.refused])).toEqual([
      ['MIC-1043 out', undefined],
      ['MIC-1042 out', 'MIC-1042 is checked out to Main Stage Day 2'],
    ]);
  });

  it('returns the same list when no entry queued the op (nothing re-renders)', () => {
    const recent = addScan([], feedback('MIC-1042 out', [OP_A]), 8);
    expect(markRefused(recent, { opId: OP_B, kind: 'conflict', code: 'conflict', message: 'changed' })).toBe(recent);
  });

  it('keeps at most `limit` entries', () => {
    let recent = addScan([], feedback('1', []), 2);
    recent = addScan(recent, feedback('2', []), 2);
    recent = addScan(recent, feedback('3', []), 2);
    expect(recent.map((s) => s.message)).toEqual(['3', '2']);
  });

  it('says conflicts and codes in words, never an id', () => {
    expect(refusalWords({ kind: 'conflict', code: 'conflict', message: 'changed on the server' })).toBe(
      'changed on the server, see Conflicts',
    );
    expect(refusalWords({ kind: 'rejected', code: 'not_found', message: `gig ${OP_A} not found` })).not.toMatch(/[0-9a-f]{8}-/);
    expect(refusalWords({ kind: 'rejected', code: 'forbidden', message: 'your role cannot set_status gigs' })).toBe(
      'this sign-in may not do that',
    );
    expect(refusalWords({ kind: 'rejected', code: 'gig_closed', message: `gig Main Stage is completed (${OP_B})` })).toBe(
      'gig Main Stage is completed (an item)',
    );
  });
});
