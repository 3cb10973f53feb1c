/**
 * Where things go on a label, in millimetres from its top-left corner: one layout for the PDF and
 * the ZPL writers, so a label looks the same from the office printer and the Zebra.
 *
 * Sizes are the stock production companies buy: 62 mm continuous tape cut at 29 mm (Brother QL
 * DK-22205/DK-11209), 4×6 in shipping labels (Zebra), and A4 sheets of 3 × 8 labels of 70 × 37 mm
 * (Avery 3474 and its copies). A symbol is never squeezed below what scanners read: a code too
 * long for the label at a readable module width is refused, in words.
 */
import { StationError } from '../errors';
import { encodeSymbol, type LabelSymbol, type Symbology } from './symbol';

export const LABEL_SIZES = {
  '62x29mm': { name: '62 × 29 mm (Brother QL)', width: 62, height: 29, sheet: null },
  '4x6in': { name: '4 × 6 in (Zebra shipping)', width: 101.6, height: 152.4, sheet: null },
  'a4-3x8': {
    name: 'A4 sheet, 24 labels of 70 × 37 mm',
    width: 70,
    height: 37,
    sheet: { width: 210, height: 297, columns: 3, rows: 8, left: 0, top: 0.5 },
  },
} as const;
export type LabelSize = keyof typeof LABEL_SIZES;

/** One label: the code its symbol carries and, in words, what it is on. */
export interface LabelSpec {
  code: string;
  /** "Shure SM58", "Shelf A3 · North Warehouse", "Mika Moreau". */
  title: string;
  /** A second line: a category, a case's contents count, a role. */
  detail?: string;
  symbology: Symbology;
}

export interface TextBox {
  text: string;
  x: number;
  y: number;
  /** Cap height of the font in mm (the writers turn it into points or dots). */
  size: number;
  bold: boolean;
}

export interface LabelLayout {
  symbol: LabelSymbol;
  /** Where the symbol's first module starts (quiet zone outside this) and each module's size. */
  x: number;
  y: number;
  module: number;
  /** Bar height of a linear symbol (a matrix is `rows × module` high). */
  barHeight: number;
  texts: TextBox[];
}

/** The narrowest module most handheld and fixed scanners read from a thermal print (0.19 mm, ~7.5 mil). */
export const MIN_MODULE_MM = 0.19;

/**
 * A character's width for fitting, as a share of the cap height: Helvetica's average advance is
 * about 0.55 em and its cap height 0.718 em (0.77 of the cap height); 0.8 leaves room, and the
 * Zebra's font 0 is narrower, so nothing runs off the label.
 */
export const CHAR_WIDTH = 0.8;

/** A text cut to fit `width` mm at `size` (cap height), with an ellipsis when cut. */
export function fitText(text: string, size: number, width: number): string {
  const fits = Math.max(1, Math.floor(width / (size * CHAR_WIDTH)));
  const clean = text.replace(/\s+/g, ' ').trim();
  return clean.length <= fits ? clean : `${clean.slice(0, Math.max(1, fits - 1)).trimEnd()}…`;
}

/** A text in at most `lines` lines of `width` mm, broken at spaces, the last one cut with an ellipsis. */
export function wrapText(text: string, size: number, width: number, lines: number): string[] {
  const fits = Math.max(1, Math.floor(width / (size * CHAR_WIDTH)));
  const out: string[] = [];
  let rest = text.replace(/\s+/g, ' ').trim();
  while (rest.length > 0 && out.length < lines - 1 && rest.length > fits) {
    const cut = rest.lastIndexOf(' ', fits);
    const at = cut > 0 ? cut : fits;
    out.push(rest.slice(0, at).trimEnd());
    rest = rest.slice(at).trimStart();
  }
  if (rest.length > 0) out.push(fitText(rest, size, width));
  return out;
}

export function layoutLabel(spec: LabelSpec, size: LabelSize): LabelLayout {
  const { width, height } = LABEL_SIZES[size];
  const symbol = encodeSymbol(spec.symbology, spec.code);
  const pad = Math.min(6, Math.max(1.5, Math.min(width, height) * 0.06));
  const inner = width - 2 * pad;
  if (symbol.kind === 'linear') {
    const titleSize = Math.min(6, height * 0.11);
    const codeSize = Math.min(4, height * 0.08, inner / (Math.max(1, spec.code.length) * CHAR_WIDTH));
    const module = Math.min(0.6, inner / (symbol.modules + 2 * symbol.quiet));
    if (module < MIN_MODULE_MM) {
      throw new StationError(
        'invalid_arguments',
        `${spec.code} is too long for a Code 128 label of ${LABEL_SIZES[size].name} (bars would be ${module.toFixed(2)} mm, scanners need ${MIN_MODULE_MM}): print it as a QR or DataMatrix label`,
      );
    }
    // A title of one line on a roll label, two where the label is tall enough (4 × 6 in).
    const titles = wrapText(spec.title, titleSize, inner, height > 60 ? 2 : 1);
    const texts: TextBox[] = titles.map((line, i) => ({ text: line, x: pad, y: pad + i * titleSize * 1.6, size: titleSize, bold: true }));
    let barsY = pad + titles.length * titleSize * 1.6;
    if (spec.detail !== undefined) {
      texts.push({ text: fitText(spec.detail, codeSize, inner), x: pad, y: barsY, size: codeSize, bold: false });
      barsY += codeSize * 1.5;
    }
    const barHeight = Math.min(30, height - barsY - pad - codeSize * 1.8);
    const symbolWidth = symbol.modules * module;
    texts.push({ text: spec.code, x: pad + symbol.quiet * module, y: barsY + barHeight + codeSize * 0.6, size: codeSize, bold: false });
    return { symbol, x: (width - symbolWidth) / 2, y: barsY, module, barHeight, texts };
  }
  // A square symbol: large and centred on top of a tall label (4 × 6 in), the words full width
  // below it; on the left of a wide one (its quiet zone inside the padding), the words beside it.
  const tall = height > width;
  const side = tall ? Math.min(inner, (height - 2 * pad) * 0.6) : Math.min(height - 2 * pad, inner * 0.5);
  const module = side / (Math.max(symbol.cols, symbol.rows) + 2 * symbol.quiet);
  if (module < MIN_MODULE_MM) {
    throw new StationError(
      'invalid_arguments',
      `${spec.code} does not fit a ${symbol.cols}-module symbol on a ${LABEL_SIZES[size].name} label`,
    );
  }
  const textX = tall ? pad : pad + side + pad;
  const textWidth = tall ? inner : width - textX - pad;
  const texts = matrixWords(spec, textX, tall ? pad + side + pad : pad, textWidth, height);
  const x = tall ? (width - side) / 2 : pad;
  return { symbol, x: x + symbol.quiet * module, y: pad + symbol.quiet * module, module, barHeight: 0, texts };
}

/** The words of a square-symbol label from (x, y): the code (never cut: a long one is set smaller), the title in two lines, the detail. */
function matrixWords(spec: LabelSpec, x: number, y: number, width: number, height: number): TextBox[] {
  const codeSize = Math.min(5, height * 0.1, width / (Math.max(1, spec.code.length) * CHAR_WIDTH));
  const titleSize = Math.min(6, height * 0.09);
  const detailSize = Math.min(4, height * 0.08);
  const texts: TextBox[] = [{ text: spec.code, x, y, size: codeSize, bold: true }];
  let at = y + codeSize * 2;
  for (const line of wrapText(spec.title, titleSize, width, 2)) {
    texts.push({ text: line, x, y: at, size: titleSize, bold: false });
    at += titleSize * 1.6;
  }
  if (spec.detail !== undefined)
    texts.push({ text: fitText(spec.detail, detailSize, width), x, y: at + titleSize * 0.2, size: detailSize, bold: false });
  return texts;
}

/** Where label `index` of a run sits on its page (A4 sheets hold 24; roll and shipping labels one each). */
export function placeOnPage(size: LabelSize, index: number): { page: number; x: number; y: number } {
  const { sheet, width, height } = LABEL_SIZES[size];
  if (sheet === null) return { page: index, x: 0, y: 0 };
  const perPage = sheet.columns * sheet.rows;
  const slot = index % perPage;
  return {
    page: Math.floor(index / perPage),
    x: sheet.left + (slot % sheet.columns) * width,
    y: sheet.top + Math.floor(slot / sheet.columns) * height,
  };
}
