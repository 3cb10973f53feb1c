import type { FeedbackView } from '../../core/station-api';

/**
 * Scan feedback by ear, for an operator looking at the item, not the screen: one high beep for
 * ok, two mid beeps for a warning, a long low buzz for an error. Web Audio, no sound files.
 */
const TONES: Record<FeedbackView['kind'], { hz: number; ms: number; type: OscillatorType }[]> = {
  ok: [{ hz: 1760, ms: 90, type: 'sine' }],
  warning: [
    { hz: 880, ms: 110, type: 'square' },
    { hz: 880, ms: 110, type: 'square' },
  ],
  error: [{ hz: 220, ms: 450, type: 'sawtooth' }],
};

let context: AudioContext | null = null;

export function beep(kind: FeedbackView['kind']): void {
  try {
    context ??= new AudioContext();
    // Browsers start audio suspended until the page has had a user gesture.
    if (context.state === 'suspended') void context.resume();
    let at = context.currentTime;
    for (const tone of TONES[kind]) {
      const osc = context.createOscillator();
      const gain = context.createGain();
      osc.type = tone.type;
      osc.frequency.value = tone.hz;
      gain.gain.setValueAtTime(0.2, at);
      gain.gain.exponentialRampToValueAtTime(0.001, at + tone.ms / 1000);
      osc.connect(gain).connect(context.destination);
      osc.start(at);
      osc.stop(at + tone.ms / 1000);
      at += (tone.ms + 60) / 1000;
    }
  } catch {
    // No audio device: the colour still tells.
  }
}
