import { z } from 'zod';

/** A scanner the station remembers, by a stable identity, with the name and role operators see. */
export const scannerRoleSchema = z.enum(['out', 'in', 'any']);
export type ScannerRole = z.infer<typeof scannerRoleSchema>;

const common = {
  id: z.string().min(1).max(100),
  name: z.string().min(1).max(60),
  role: scannerRoleSchema,
};

export const scannerConfigSchema = z.discriminatedUnion('kind', [
  z.strictObject({
    kind: z.literal('serial'),
    ...common,
    path: z.string().min(1),
    baudRate: z.number().int().positive().default(9600),
    dataBits: z.union([z.literal(7), z.literal(8)]).default(8),
    parity: z.enum(['none', 'even', 'odd']).default('none'),
    stopBits: z.union([z.literal(1), z.literal(2)]).default(1),
    prefix: z.string().max(8).default(''),
    suffix: z.string().min(1).max(8).default('\r'),
  }),
  z.strictObject({
    kind: z.literal('hid'),
    ...common,
    vendorId: z.number().int().min(0).max(0xffff),
    productId: z.number().int().min(0).max(0xffff),
    serialNumber: z.string().optional(),
    mode: z.enum(['keyboard', 'pos']),
    layout: z.enum(['us', 'de']).default('us'),
  }),
]);
export type ScannerConfig = z.infer<typeof scannerConfigSchema>;

export interface ScannerStatus {
  id: string;
  name: string;
  role: ScannerRole;
  kind: 'serial' | 'hid';
  present: boolean;
  state: 'absent' | 'opening' | 'open' | 'reconnecting' | 'unavailable';
  detail: string | null;
}
