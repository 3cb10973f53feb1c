/**
 * What the Labels screen prints (issue 21), read from this device's copy: places under a place,
 * items and cases (at a place, or matching words), operator badges; and a case's contents sheet
 * with its reference, remembered when printed so the screen says when the contents have changed
 * since (the sheet in the lid would lie).
 */
import { z } from 'zod';
import { StationError } from '../errors';
import type { CacheIndex } from '../store/cache-index';
import type { Setting } from '../store/settings';
import { isInside } from '../audit/judge';
import { LOCATION_KIND_WORDS } from '../sync/rows';
import { contentsReference, type CaseContentLine } from './contents';

export const LABEL_KINDS = ['places', 'items', 'cases', 'badges'] as const;
export type LabelKind = (typeof LABEL_KINDS)[number];

/** At most this many labels in one run (an A4 run of 84 sheets). */
export const MAX_LABELS = 2000;

export const labelQuerySchema = z.strictObject({
  kind: z.enum(LABEL_KINDS),
  /** Only what is at this place or inside it (places: the place and those inside it). */
  placeId: z.uuid().nullable().optional(),
  /** Words in the code, name or category (case-insensitive). */
  words: z.string().max(100, 'search with at most 100 characters').optional(),
});
export type LabelQuery = z.infer<typeof labelQuerySchema>;

export const labelSourceSchema = z.object({
  id: z.uuid(),
  code: z.string(),
  title: z.string(),
  detail: z.string().nullable(),
  /** A case's contents sheet: never printed here, printed and still true, or printed and the contents changed since. */
  sheet: z.enum(['never', 'current', 'changed']).optional(),
});
export type LabelSource = z.infer<typeof labelSourceSchema>;

export const labelListSchema = z.object({ labels: z.array(labelSourceSchema), total: z.number().int() });

export const caseSheetSchema = z.object({
  caseId: z.uuid(),
  code: z.string(),
  name: z.string(),
  reference: z.string(),
  lines: z.array(z.object({ code: z.string(), name: z.string(), category: z.string(), inside: z.string().optional() })),
});
export type CaseSheet = z.infer<typeof caseSheetSchema>;

export class LabelSources {
  constructor(
    private readonly index: Pick<CacheIndex, 'table'>,
    private readonly printed: Setting<Record<string, string>>,
  ) {}

  async list(query: LabelQuery): Promise<z.infer<typeof labelListSchema>> {
    const [locations, assets, cases, staff] = await Promise.all([
      this.index.table('locations'),
      this.index.table('assets'),
      this.index.table('cases'),
      this.index.table('staff_profiles'),
    ]);
    const root = query.placeId ?? null;
    if (root !== null && locations.get(root) === null) throw new StationError('not_found', 'that place is not on this device');
    const words = (query.words ?? '').trim().toUpperCase();
    const matches = (...texts: (string | null)[]): boolean =>
      words === '' || texts.some((t) => t !== null && t.toUpperCase().includes(words));
    const at = (placeId: string | null): boolean => root === null || (placeId !== null && isInside(locations, placeId, root));
    const found: LabelSource[] = [];
    if (query.kind === 'places') {
      for (const place of locations.byId.values()) {
        if (place.deletedAt !== null || !at(place.id) || !matches(place.code, place.name)) continue;
        const warehouse = locations.get(place.warehouseId);
        const detail = place.kind === 'warehouse' ? 'Warehouse' : `${LOCATION_KIND_WORDS[place.kind]} · ${warehouse?.name ?? ''}`;
        found.push({ id: place.id, code: place.code, title: place.name, detail });
      }
    } else if (query.kind === 'items') {
      for (const asset of assets.byId.values()) {
        if (asset.deletedAt !== null || asset.status === 'retired' || !at(asset.locationId)) continue;
        const code = asset.barcode ?? asset.serialNumber;
        if (!matches(code, asset.serialNumber, asset.name, asset.category)) continue;
        found.push({ id: asset.id, code, title: asset.name, detail: asset.category });
      }
    } else if (query.kind === 'cases') {
      const printed = (await this.printed.get()) ?? {};
      for (const box of cases.byId.values()) {
        if (box.deletedAt !== null || !at(box.locationId) || !matches(box.barcode, box.name)) continue;
        const lines = await this.contents(box.id);
        const reference = printed[box.id];
        found.push({
          id: box.id,
          code: box.barcode,
          title: box.name ?? box.barcode,
          detail: lines.length === 1 ? '1 item' : `${lines.length} items`,
          sheet: reference === undefined ? 'never' : reference === contentsReference(lines) ? 'current' : 'changed',
        });
      }
    } else {
      if (root !== null) throw new StationError('invalid_arguments', 'badges are not kept at a place: list them without one');
      for (const person of staff.byId.values())
        if (matches(person.badgeCode, person.displayName))
          found.push({ id: person.id, code: person.badgeCode, title: person.displayName, detail: 'Operator badge' });
    }
    found.sort((a, b) => a.code.localeCompare(b.code, 'en', { numeric: true }));
    return { labels: found.slice(0, MAX_LABELS), total: found.length };
  }

  /** Every item in a case, nested cases included (each line says which nested case it sits in). */
  private async contents(caseId: string): Promise<CaseContentLine[]> {
    const [assets, cases] = await Promise.all([this.index.table('assets'), this.index.table('cases')]);
    const lines: CaseContentLine[] = [];
    const walk = (id: string, inside: string | undefined, depth: number): void => {
      for (const asset of assets.find('caseId', id))
        if (asset.deletedAt === null)
          lines.push({
            code: asset.barcode ?? asset.serialNumber,
            name: asset.name,
            category: asset.category,
            ...(inside === undefined ? {} : { inside }),
          });
      // Nested cases, a few levels deep at most (a damaged parent chain must not loop).
      if (depth < 8) for (const inner of cases.find('parentId', id)) if (inner.deletedAt === null) walk(inner.id, inner.barcode, depth + 1);
    };
    walk(caseId, undefined, 0);
    return lines;
  }

  async sheet(caseId: string): Promise<CaseSheet> {
    const box = (await this.index.table('cases')).get(caseId);
    if (box === null || box.deletedAt !== null) throw new StationError('not_found', 'that case is not on this device');
    const lines = await this.contents(caseId);
    return { caseId, code: box.barcode, name: box.name ?? box.barcode, reference: contentsReference(lines), lines };
  }

  /** The sheet with this reference was printed: until the contents change, it is current. */
  async printedSheet(caseId: string, reference: string): Promise<void> {
    const printed = (await this.printed.get()) ?? {};
    await this.printed.set({ ...printed, [caseId]: reference });
  }
}
