/**
 * Labels as ZPL II for Zebra thermal printers (sent raw to the printer's port or queue). The
 * symbol is drawn as filled boxes (^GB) at whole printer dots — bars for Code 128, runs of
 * modules for QR and DataMatrix — from the same modules the PDF draws, instead of the printer's
 * own ^BC/^BQ/^BX: what prints is exactly the symbol the tests decode, on any firmware.
 * Words in font 0, UTF-8 (^CI28), with ^ ~ and \ escaped as hex (^FH).
 */
import { StationError } from '../errors';
import { bars, darkRuns } from './symbol';
import { LABEL_SIZES, layoutLabel, type LabelSize, type LabelSpec } from './layout';

/** Printer resolutions Zebra sells: 203 dpi (8 dots/mm), 300 dpi (12 dots/mm). */
export const ZPL_DPI = { 203: 8, 300: 12 } as const;
export type ZplDpi = keyof typeof ZPL_DPI;

/** Font 0's cell is about 1.4 × its cap height. */
const CELL_PER_CAP = 1.4;

export function labelsZpl(specs: readonly LabelSpec[], size: LabelSize, dpi: ZplDpi = 203): string {
  const { width, height, sheet, name } = LABEL_SIZES[size];
  if (sheet !== null)
    throw new StationError('invalid_arguments', `${name} is for office printers: print it as a PDF, or choose a roll label for the Zebra`);
  const dpmm = ZPL_DPI[dpi];
  const dots = (mm: number): number => Math.round(mm * dpmm);
  const widthDots = dots(width);
  return specs
    .map((spec) => {
      const layout = layoutLabel(spec, size);
      const { symbol } = layout;
      // Whole dots per module, never narrower than the layout asked for's floor of two dots.
      const moduleDots = Math.max(2, Math.floor(layout.module * dpmm));
      const out = ['^XA', '^CI28', `^PW${widthDots}`, `^LL${dots(height)}`, '^LH0,0'];
      const box = (x: number, y: number, w: number, h: number): string => `^FO${x},${y}^GB${w},${h},${Math.min(w, h)},B^FS`;
      if (symbol.kind === 'linear') {
        const symbolDots = symbol.modules * moduleDots;
        if (symbolDots + 2 * symbol.quiet * moduleDots > widthDots) {
          throw new StationError(
            'invalid_arguments',
            `${spec.code} is too long for a Code 128 label of ${name} at ${dpi} dpi: print it as a QR or DataMatrix label`,
          );
        }
        const left = Math.round((widthDots - symbolDots) / 2);
        const top = dots(layout.y);
        for (const bar of bars(symbol)) out.push(box(left + bar.at * moduleDots, top, bar.width * moduleDots, dots(layout.barHeight)));
      } else {
        const left = dots(layout.x);
        const top = dots(layout.y);
        for (const run of darkRuns(symbol)) {
          out.push(box(left + run.col * moduleDots, top + run.row * moduleDots, run.length * moduleDots, moduleDots));
        }
      }
      for (const text of layout.texts) {
        const cell = Math.max(10, dots(text.size * CELL_PER_CAP));
        out.push(`^FO${dots(text.x)},${dots(text.y)}^A0N,${cell},${cell}^FH\\^FD${zplText(text.text)}^FS`);
      }
      out.push('^PQ1', '^XZ');
      return out.join('\n');
    })
    .join('\n');
}

/** Text for a ^FD field under ^FH\: the characters ZPL would read as commands, as hex. */
export function zplText(text: string): string {
  return text.replace(/[\\^~]/g, (c) => `\\${c.charCodeAt(0).toString(16).toUpperCase()}`);
}
