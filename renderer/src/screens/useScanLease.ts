import { useEffect, useRef, useState } from 'react';
import { errorText } from '../station-data';

/** How long one lease lasts; renewed every RENEW_MS, so a closed window cannot leave scans taken. */
const LEASE_S = 6;
const RENEW_MS = 2000;

/**
 * While a screen is open, every scan (serial, HID, wedge, camera) goes to it instead of the scan
 * workflow: a lease the screen renews through `lease(seconds)` and ends with `lease(0)` when it
 * closes (or `key` changes). `lease` answers whether scans go here now. Null `key`: no lease.
 */
export function useScanLease(key: string | null, lease: (seconds: number) => Promise<boolean>): boolean {
  const [holding, setHolding] = useState<string | null>(null);
  const take = useRef(lease);
  useEffect(() => {
    take.current = lease;
  });
  useEffect(() => {
    if (key === null) return;
    let live = true;
    const renew = (): void =>
      void take.current(LEASE_S).then(
        (held) => live && setHolding(held ? key : null),
        () => live && setHolding(null),
      );
    renew();
    const timer = window.setInterval(renew, RENEW_MS);
    return () => {
      live = false;
      window.clearInterval(timer);
      // Safe to only log a failure: the lease ends by itself within LEASE_S.
      void take.current(0).catch((e: unknown) => console.warn(`scan lease not ended: ${errorText(e)}`));
    };
  }, [key]);
  return key !== null && holding === key;
}
