import { useScanLease } from './useScanLease';

/**
 * While the Plan screen shows a gig its planner may change, every scan (serial, HID, wedge,
 * camera) adds the item or case to that gig's pick list instead of moving it: a lease the screen
 * renews (core's setPlanScan), ended when the screen closes. Returns whether scans add here now.
 */
export function usePlanScan(gigId: string | null): boolean {
  return useScanLease(gigId, (seconds) =>
    window.station
      .setPlanScan(seconds === 0 || gigId === null ? { gigId: null, seconds: 0 } : { gigId, seconds })
      .then((r) => gigId !== null && r.gigId === gigId),
  );
}
