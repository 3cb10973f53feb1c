import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { prepareZXingModule, readBarcodes, type ReadResult } from 'zxing-wasm/reader';

// The decoder the phone's camera uses (zxing-wasm's reader, behind the barcode-detector
// ponyfill), in Node: its WebAssembly read from node_modules, never fetched from a CDN.
let prepared = false;

function prepare(): void {
  if (prepared) return;
  const require = createRequire(import.meta.url);
  const wasm = readFileSync(require.resolve('zxing-wasm/reader/zxing_reader.wasm'));
  void prepareZXingModule({
    overrides: { wasmBinary: wasm.buffer.slice(wasm.byteOffset, wasm.byteOffset + wasm.byteLength) },
    fireImmediately: true,
  });
  prepared = true;
}

/** Every symbol of `formats` in an image file (PNG) or raw RGBA pixels. */
export function decodeSymbols(
  image: Uint8Array | { data: Uint8ClampedArray; width: number; height: number },
  formats: ('Code128' | 'QRCode' | 'DataMatrix')[],
): Promise<ReadResult[]> {
  prepare();
  return readBarcodes(image, { formats, tryHarder: true, maxNumberOfSymbols: 32 });
}
