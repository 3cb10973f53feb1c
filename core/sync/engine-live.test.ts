import { describe, expect, it } from 'vitest';
import { FakeClock } from '../../tests/helpers/fake-clock';
import { seededRandom } from '../random';
import { MemoryStorage } from '../store/memory-storage';
import { Queue } from '../store/queue';
import { SyncEngine } from './engine';
import type { PullPage } from './model';
import type { SyncTransport } from './transport';

// Live pokes (issue 20): a poke pulls at once, pokes during a pull make one more pull (not one
// each), and while pokes arrive the poll is only a slow safety net.
const PAGE: PullPage = { changes: {}, tombstones: [], cursor: '10:0', has_more: false };

function setup() {
  const clock = new FakeClock();
  let ids = 0;
  const newId = (): string => `00000000-0000-4000-9000-${String((ids += 1)).padStart(12, '0')}`;
  const store = new Queue(new MemoryStorage(), { newId, clock: () => clock.now(), devicePrefix: 'test-' });
  const answers: ((page: PullPage) => void)[] = [];
  let pulls = 0;
  const transport: SyncTransport = {
    push: () => Promise.reject(new Error('nothing is queued')),
    pull: () => {
      pulls += 1;
      return new Promise<PullPage>((resolve) => answers.push(resolve));
    },
    refreshSession: () => Promise.resolve(true),
  };
  const engine = new SyncEngine({ store, transport, clock, random: seededRandom(1), newId, pollMs: 15_000, livePollMs: 60_000 });
  /** Answers the pull in flight and lets the engine settle it. */
  const answer = async (): Promise<void> => {
    const next = answers.shift();
    if (next === undefined) throw new Error('no pull is in flight');
    next(PAGE);
    // The page is stored, the pull ends, and a pull it asked for is started.
    for (let i = 0; i < 5; i += 1) await clock.advance(0);
  };
  // Only a repair asks for snapshots (no table differs here, so none is asked for).
  const canRepair = (): void => {
    transport.snapshot = () => Promise.reject(new Error('never asked'));
  };
  return { clock, engine, answer, canRepair, pulls: () => pulls, inFlight: () => answers.length };
}

describe('pokes', () => {
  it('pull at once (250 ms after the last pull began at the soonest); any number of pokes during a pull make exactly one more pull', async () => {
    const { clock, engine, answer, pulls, inFlight } = setup();
    await engine.start();
    await clock.advance(0);
    expect(pulls()).toBe(1);
    // Three commits elsewhere while the first pull is on its way: it may have begun before them.
    engine.poke();
    engine.poke();
    engine.poke();
    await clock.advance(0);
    expect(pulls()).toBe(1);
    await answer();
    // The first pull began less than 250 ms ago: the next waits for the gap.
    expect(pulls()).toBe(1);
    await clock.advance(250);
    expect(pulls()).toBe(2);
    await answer();
    expect(inFlight()).toBe(0);
    expect(pulls()).toBe(2);
    // Idle and past the gap: a poke pulls now, not at the next poll.
    await clock.advance(1000);
    engine.poke();
    await clock.advance(0);
    expect(pulls()).toBe(3);
    await answer();
    engine.stop();
  });

  it('do nothing once the engine is stopped', async () => {
    const { clock, engine, pulls } = setup();
    engine.poke();
    await clock.advance(60_000);
    expect(pulls()).toBe(0);
  });
});

describe('the poll while pokes arrive', () => {
  it('slows to livePollMs, pulls at once when the channel is joined (pokes were missed), and is back to pollMs when it is lost', async () => {
    const { clock, engine, answer, pulls } = setup();
    await engine.start();
    await clock.advance(0);
    await answer();
    expect(pulls()).toBe(1);
    expect((await engine.status()).live).toBe(false);

    engine.setLive(true);
    await clock.advance(250);
    expect(pulls()).toBe(2);
    await answer();
    expect((await engine.status()).live).toBe(true);
    // Not at the 15 s poll: at 60 s.
    await clock.advance(59_000);
    expect(pulls()).toBe(2);
    await clock.advance(1000);
    expect(pulls()).toBe(3);
    await answer();

    // The channel drops (Realtime down): the poll is 15 s again from now.
    await clock.advance(20_000);
    engine.setLive(false);
    await clock.advance(14_000);
    expect(pulls()).toBe(3);
    await clock.advance(1000);
    expect(pulls()).toBe(4);
    await answer();
    expect((await engine.status()).live).toBe(false);
    engine.stop();
  });
});

describe('pokes around a repair and a lost channel', () => {
  it('a poke during a repair is pulled after it, as during a pull, not at the next minute’s poll', async () => {
    const { clock, engine, answer, canRepair, pulls, inFlight } = setup();
    await engine.start();
    await clock.advance(0);
    await answer();
    engine.setLive(true);
    await clock.advance(250);
    await answer();
    canRepair();
    const before = pulls();
    const repairing = engine.repair();
    for (let i = 0; i < 10; i += 1) await clock.advance(0);
    expect(inFlight()).toBe(1);
    engine.poke();
    await answer();
    await repairing;
    await clock.advance(5_000);
    expect(pulls()).toBe(before + 2);
    engine.stop();
  });

  it('a poke while the channel drops keeps its pull soon, not at the next 15 s poll', async () => {
    const { clock, engine, answer, pulls } = setup();
    await engine.start();
    await clock.advance(0);
    await answer();
    engine.setLive(true);
    await clock.advance(250);
    await answer();
    expect(pulls()).toBe(2);
    // A poke within the gap sets a pull 250 ms after the last began; the channel drops meanwhile.
    engine.poke();
    engine.setLive(false);
    await clock.advance(250);
    expect(pulls()).toBe(3);
    await answer();
    engine.stop();
  });
});
