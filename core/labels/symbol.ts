/**
 * A code as the modules of a printed symbol: Code 128 (bars, what every station scanner reads),
 * QR and DataMatrix (small square labels a phone's camera reads well). The encoding is bwip-js's
 * (Barcode Writer in Pure PostScript, MIT, kept since 2011): its `raw` form gives bar widths or a
 * module matrix, which the PDF and ZPL writers draw at whole printer dots, so what prints is
 * exactly the symbol — no resampling.
 */
// The platform-neutral build (no canvas, no PNG): the same in the renderer, the phone and Node.
import bwipjs from 'bwip-js/generic';
import { StationError } from '../errors';

export const SYMBOLOGIES = ['code128', 'qrcode', 'datamatrix'] as const;
export type Symbology = (typeof SYMBOLOGIES)[number];

/** What a label may carry: the codes the server accepts for serials, barcodes and places. */
export const LABEL_CODE = /^[A-Za-z0-9][A-Za-z0-9._/-]{0,63}$/;

/** Code 128: bar and space widths in modules, starting with a bar; quiet zones not included. */
export interface LinearSymbol {
  kind: 'linear';
  widths: number[];
  /** Total width in modules (bars and spaces). */
  modules: number;
  /** Modules of quiet zone each side (ISO/IEC 15417: 10). */
  quiet: number;
}

/** QR or DataMatrix: `rows` × `cols` modules, row-major, 1 = dark. */
export interface MatrixSymbol {
  kind: 'matrix';
  rows: number;
  cols: number;
  dark: Uint8Array;
  /** Modules of quiet zone around it (QR: 4, DataMatrix: 1). */
  quiet: number;
}

export type LabelSymbol = LinearSymbol | MatrixSymbol;

/** The symbol for `code`, or a StationError saying why a label cannot carry it. */
export function encodeSymbol(symbology: Symbology, code: string): LabelSymbol {
  if (!LABEL_CODE.test(code)) {
    throw new StationError(
      'invalid_arguments',
      `"${code.slice(0, 70)}" cannot be printed as a label: a code is 1 to 64 letters, digits and . _ / - (what the scanners read)`,
    );
  }
  const [first] = bwipjs.raw(symbology, code);
  if (first !== undefined && 'sbs' in first) {
    return { kind: 'linear', widths: first.sbs, modules: first.sbs.reduce((sum, w) => sum + w, 0), quiet: 10 };
  }
  if (first === undefined || first.pixs.length !== first.pixx * first.pixy) {
    throw new StationError('handler_failed', `the ${symbology} symbol of ${code} came out empty`);
  }
  return { kind: 'matrix', rows: first.pixy, cols: first.pixx, dark: Uint8Array.from(first.pixs), quiet: symbology === 'qrcode' ? 4 : 1 };
}

/** Each dark bar of a linear symbol: its start and width in modules. */
export function bars(symbol: LinearSymbol): { at: number; width: number }[] {
  const out: { at: number; width: number }[] = [];
  let at = 0;
  symbol.widths.forEach((width, i) => {
    if (i % 2 === 0) out.push({ at, width });
    at += width;
  });
  return out;
}

/**
 * Each row's runs of dark modules of a matrix symbol: one rectangle each for the PDF and one box
 * for the ZPL, instead of one per module (fewer shapes, no seams between neighbours).
 */
export function darkRuns(symbol: MatrixSymbol): { row: number; col: number; length: number }[] {
  const runs: { row: number; col: number; length: number }[] = [];
  for (let row = 0; row < symbol.rows; row += 1) {
    let col = 0;
    while (col < symbol.cols) {
      if (symbol.dark[row * symbol.cols + col] !== 1) {
        col += 1;
        continue;
      }
      const start = col;
      while (col < symbol.cols && symbol.dark[row * symbol.cols + col] === 1) col += 1;
      runs.push({ row, col: start, length: col - start });
    }
  }
  return runs;
}
