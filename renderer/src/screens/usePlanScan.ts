import { useEffect, useState } from 'react';
import { errorText } from '../station-data';

/** How long one lease lasts; renewed every RENEW_MS, so a closed window cannot leave scans adding. */
const LEASE_S = 6;
const RENEW_MS = 2000;

/**
 * While the Plan screen shows a gig its planner may change, every scan (serial, HID, wedge,
 * camera) adds the item or case to that gig's pick list instead of moving it: a lease the screen
 * renews (core's setPlanScan), ended when the screen closes. Returns whether scans add here now.
 */
export function usePlanScan(gigId: string | null): boolean {
  const [holding, setHolding] = useState<string | null>(null);
  useEffect(() => {
    if (gigId === null) return;
    let live = true;
    const lease = (): void =>
      void window.station.setPlanScan({ gigId, seconds: LEASE_S }).then(
        (r) => live && setHolding(r.gigId),
        () => live && setHolding(null),
      );
    lease();
    const timer = window.setInterval(lease, RENEW_MS);
    return () => {
      live = false;
      window.clearInterval(timer);
      // Safe to only log a failure: the lease ends by itself within LEASE_S.
      void window.station
        .setPlanScan({ gigId: null, seconds: 0 })
        .catch((e: unknown) => console.warn(`plan scan not ended: ${errorText(e)}`));
    };
  }, [gigId]);
  return gigId !== null && holding === gigId;
}
