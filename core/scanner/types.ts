/** One decoded scan from one device, as every driver emits it. */
export interface ScanEvent {
  deviceId: string;
  code: string;
  /** AIM symbology identifier (e.g. "]C1" for GS1-128) when the device reports one. */
  symbology?: string;
  receivedAt: number;
}

/** Bytes a driver could not turn into a scan: reported, never thrown. */
export interface RejectedInput {
  reason: 'unprintable' | 'too_long' | 'missing_prefix' | 'no_terminator';
  bytes: number;
}
