import { z } from 'zod';

/** A scanner the station remembers, by a stable identity, with the name and role operators see. */
export const scannerRoleSchema = z.enum(['out', 'in', 'any']);
export type ScannerRole = z.infer<typeof scannerRoleSchema>;

/** Keyboard layouts a HID keyboard-mode scanner can be set to (the scanner's own "keyboard country"). */
export const keyboardLayoutSchema = z.enum(['us', 'uk', 'de', 'fr']);
export type KeyboardLayout = z.infer<typeof keyboardLayoutSchema>;

/**
 * How a serial scanner's frames end:
 * - `auto` (default): any line end (CR, LF, CRLF, LFCR); a scanner that never sends one (Symbol/Zebra
 *   engines send data "as is") is framed by silence instead;
 * - `line`: only a line end ends a frame; silence mid-frame discards it (a pulled cable);
 * - `silence`: a pause of `gapMs` ends a frame;
 * - `terminator`: a custom byte string (`terminator`, e.g. ETX "\x03" or Tab).
 */
export const serialFramingSchema = z.enum(['auto', 'line', 'silence', 'terminator']);
export type SerialFraming = z.infer<typeof serialFramingSchema>;

/** 2D codes (PDF417, QR, DataMatrix) carry up to a few KiB; longer frames are not barcodes. */
export const MAX_CODE_BYTES = 8192;

const common = {
  id: z.string().min(1).max(100),
  name: z.string().min(1).max(60),
  role: scannerRoleSchema,
};

/** A USB-serial scanner's identity, which survives re-enumeration (ttyACM0 → ttyACM1). */
export const usbIdentitySchema = z.strictObject({
  vendorId: z.number().int().min(0).max(0xffff),
  productId: z.number().int().min(0).max(0xffff),
  serialNumber: z.string().min(1).max(128).optional(),
});
export type UsbIdentity = z.infer<typeof usbIdentitySchema>;

const serialSchema = z
  .strictObject({
    kind: z.literal('serial'),
    ...common,
    /** Where the port was found; a scanner with a `usb` identity is followed to wherever it reappears. */
    path: z.string().min(1).max(300),
    usb: usbIdentitySchema.optional(),
    baudRate: z.number().int().min(300).max(4_000_000).default(9600),
    dataBits: z.union([z.literal(7), z.literal(8)]).default(8),
    parity: z.enum(['none', 'even', 'odd']).default('none'),
    stopBits: z.union([z.literal(1), z.literal(2)]).default(1),
    framing: serialFramingSchema.default('auto'),
    /** The custom end of frame, used when framing is `terminator`. */
    terminator: z.string().min(1).max(8).optional(),
    /** Silence that ends (or, after a line end was expected, discards) a frame. */
    gapMs: z.number().int().min(10).max(2000).default(100),
    /** Bytes the scanner sends before every code: required and removed. */
    stripPrefix: z.string().max(16).default(''),
    /** Bytes the scanner adds after every code (before the terminator): removed when present. */
    stripSuffix: z.string().max(16).default(''),
    minLength: z.number().int().min(1).max(64).default(4),
    maxLength: z.number().int().min(8).max(MAX_CODE_BYTES).default(MAX_CODE_BYTES),
  })
  .refine((c) => c.framing !== 'terminator' || c.terminator !== undefined, {
    message: 'a custom terminator is needed when framing is "terminator"',
    path: ['terminator'],
  })
  .refine((c) => c.minLength <= c.maxLength, { message: 'the minimum code length is above the maximum', path: ['minLength'] });

const hidSchema = z.strictObject({
  kind: z.literal('hid'),
  ...common,
  vendorId: z.number().int().min(0).max(0xffff),
  productId: z.number().int().min(0).max(0xffff),
  serialNumber: z.string().optional(),
  mode: z.enum(['keyboard', 'pos']),
  layout: keyboardLayoutSchema.default('us'),
});

const LINE_ENDS = new Set(['\r', '\n', '\r\n', '\n\r']);

/**
 * Settings saved before framing existed had `prefix` (required, stripped) and `suffix` (the one
 * terminator accepted). A line-end suffix becomes `auto` (CR-only and CRLF scanners both work);
 * anything else stays a custom terminator.
 */
function upgradeLegacySerial(value: unknown): unknown {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return value;
  const record = value as Record<string, unknown>;
  if (record.kind !== 'serial' || !('suffix' in record || 'prefix' in record) || 'framing' in record) return value;
  const { prefix, suffix, ...rest } = record;
  const framing =
    suffix === undefined || (typeof suffix === 'string' && LINE_ENDS.has(suffix))
      ? { framing: 'auto' }
      : { framing: 'terminator', terminator: suffix };
  return { ...rest, ...framing, ...(prefix === undefined ? {} : { stripPrefix: prefix }) };
}

export const scannerConfigSchema = z.preprocess(upgradeLegacySerial, z.discriminatedUnion('kind', [serialSchema, hidSchema]));
export type ScannerConfig = z.infer<typeof scannerConfigSchema>;
export type SerialScannerSettings = Extract<ScannerConfig, { kind: 'serial' }>;
export type HidScannerSettings = Extract<ScannerConfig, { kind: 'hid' }>;

/** A configured scanner as the Scanners screen lists it: is it plugged in, is it reading. */
export const scannerStatusSchema = z.object({
  id: z.string(),
  name: z.string(),
  role: scannerRoleSchema,
  kind: z.enum(['serial', 'hid']),
  present: z.boolean(),
  state: z.enum(['absent', 'opening', 'open', 'reconnecting', 'unavailable']),
  detail: z.string().nullable(),
});
export type ScannerStatus = z.infer<typeof scannerStatusSchema>;
