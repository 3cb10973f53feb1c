import type { FeedbackView } from '../../core/station-api';

/**
 * Scan feedback by ear, for an operator looking at the item, not the screen: one high beep for
 * ok, two mid beeps for a warning, a long low buzz for an error. Web Audio, no sound files.
 */
type Wave = 'sine' | 'square' | 'sawtooth';
const TONES: Record<FeedbackView['kind'], { hz: number; ms: number; type: Wave }[]> = {
  ok: [{ hz: 1760, ms: 90, type: 'sine' }],
  warning: [
    { hz: 880, ms: 110, type: 'square' },
    { hz: 880, ms: 110, type: 'square' },
  ],
  error: [{ hz: 220, ms: 450, type: 'sawtooth' }],
};
/** Silence between two tones of one beep. */
const GAP_MS = 60;
const VOLUME = 0.2;

let context: AudioContext | null = null;
/** Each kind's beep, rendered once: a scan then costs one node, not an oscillator and a gain per tone. */
const rendered = new Map<FeedbackView['kind'], AudioBuffer>();
/** A resume asked for and not yet answered: one at a time, not one per scan. */
let resuming: Promise<void> | null = null;

function wave(type: Wave, phase: number): number {
  const p = phase - Math.floor(phase);
  switch (type) {
    case 'square':
      return p < 0.5 ? 1 : -1;
    case 'sawtooth':
      return 2 * p - 1;
    case 'sine':
      return Math.sin(2 * Math.PI * p);
  }
}

/** The tones one after another, each decaying as the oscillators' exponential ramp to 0.001 did. */
function render(audio: AudioContext, kind: FeedbackView['kind']): AudioBuffer {
  const tones = TONES[kind];
  const rate = audio.sampleRate;
  const totalMs = tones.reduce((sum, tone) => sum + tone.ms + GAP_MS, 0);
  const buffer = audio.createBuffer(1, Math.ceil((totalMs / 1000) * rate), rate);
  const samples = buffer.getChannelData(0);
  let start = 0;
  for (const tone of tones) {
    const length = Math.round((tone.ms / 1000) * rate);
    const decay = Math.log(0.001 / VOLUME) / length;
    for (let i = 0; i < length && start + i < samples.length; i += 1)
      samples[start + i] = VOLUME * Math.exp(decay * i) * wave(tone.type, (tone.hz * i) / rate);
    start += Math.round(((tone.ms + GAP_MS) / 1000) * rate);
  }
  return buffer;
}

function play(audio: AudioContext, kind: FeedbackView['kind']): void {
  let buffer = rendered.get(kind);
  if (buffer === undefined) {
    buffer = render(audio, kind);
    rendered.set(kind, buffer);
  }
  const source = audio.createBufferSource();
  source.buffer = buffer;
  source.connect(audio.destination);
  source.start();
}

/**
 * Creates the audio context once the page is idle, before a scan needs it: created by the first
 * beep, it cost the first scan's feedback ~190 ms on a phone-speed CPU (4× throttled Chromium).
 * It starts suspended until the page has had a user gesture, as one made by a beep would; beep
 * asks it to resume. Returns the cancel.
 */
export function prepareAudio(): () => void {
  const create = (): void => {
    try {
      context ??= new AudioContext();
    } catch {
      // No audio device: beep tries again and stays silent.
    }
  };
  if (typeof window.requestIdleCallback === 'function') {
    const handle = window.requestIdleCallback(create, { timeout: 2000 });
    return () => window.cancelIdleCallback(handle);
  }
  const handle = window.setTimeout(create, 0);
  return () => window.clearTimeout(handle);
}

export function beep(kind: FeedbackView['kind']): void {
  try {
    context ??= new AudioContext();
    const audio = context;
    if (audio.state === 'running') {
      play(audio, kind);
      return;
    }
    // Browsers start audio suspended until the page has had a user gesture: ask once, and play this
    // beep if the answer comes; beeps meanwhile are not piled up to sound all at once later.
    if (resuming !== null) return;
    resuming = audio.resume().then(
      () => {
        resuming = null;
        if (audio.state === 'running') play(audio, kind);
      },
      () => {
        resuming = null;
      },
    );
  } catch {
    // No audio device: the colour still tells.
  }
}
