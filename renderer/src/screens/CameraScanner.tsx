import { useEffect, useRef, useState } from 'react';
import { errorText } from '../station-data';

const EVERY_MS = 150;
/** A code held in view is one scan; it counts again only after being out of view this long. */
const OUT_OF_VIEW_MS = 1500;

/** The phone's camera as a scanner: detections go through the same scan workflow as any scanner. */
export function CameraScanner() {
  const [on, setOn] = useState(false);
  const [status, setStatus] = useState<string | null>(null);
  const video = useRef<HTMLVideoElement>(null);

  useEffect(() => {
    if (!on) return;
    let stopped = false;
    let stream: MediaStream | null = null;
    let timer: number | null = null;
    const last = { code: '', at: 0 };
    void (async () => {
      try {
        // Loaded when the camera is first used: the station's screens never pay for the reader.
        const { createDetector } = await import('../web/barcode-detector');
        const detector = await createDetector();
        stream = await navigator.mediaDevices.getUserMedia({ video: { facingMode: 'environment' }, audio: false });
        if (stopped || video.current === null) return;
        video.current.srcObject = stream;
        await video.current.play();
        setStatus('Point the camera at a barcode');
        const tick = async (): Promise<void> => {
          if (stopped || video.current === null) return;
          // A frame the decoder cannot read is common (blur, no code in view): skipped; the next frame comes in EVERY_MS.
          const found = await detector.detect(video.current).catch((e: unknown) => {
            console.debug(`camera frame not decoded: ${errorText(e)}`);
            return [];
          });
          const code = found[0]?.rawValue;
          if (code !== undefined && code !== '') {
            const again = code === last.code && Date.now() - last.at < OUT_OF_VIEW_MS;
            last.code = code;
            last.at = Date.now();
            if (!again)
              window.station.submitScan({ code, deviceId: 'camera' }).catch((e: unknown) => setStatus(`Scan not taken: ${errorText(e)}`));
          }
          timer = window.setTimeout(() => void tick(), EVERY_MS);
        };
        void tick();
      } catch (error) {
        setStatus(`Camera unavailable: ${errorText(error)}`);
      }
    })();
    return () => {
      stopped = true;
      if (timer !== null) window.clearTimeout(timer);
      stream?.getTracks().forEach((track) => track.stop());
    };
  }, [on]);

  return (
    <section className="camera" aria-label="Camera scanner">
      <button type="button" className={on ? 'big active' : 'big'} onClick={() => setOn((v) => !v)}>
        {on ? 'Stop camera' : 'Scan with camera'}
      </button>
      {on && (
        <>
          <video ref={video} className="camera-view" muted playsInline data-testid="camera-view" />
          {status !== null && <p className="muted">{status}</p>}
        </>
      )}
    </section>
  );
}
