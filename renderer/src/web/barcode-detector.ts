import wasmUrl from 'zxing-wasm/reader/zxing_reader.wasm?url';

/** What the camera scanner needs of a BarcodeDetector (the native one or the ponyfill). */
export interface Detector {
  detect(source: HTMLVideoElement): Promise<{ rawValue: string; format: string }[]>;
}

/** The 1D and 2D codes found on production gear, cases and badges. */
const FORMATS = ['code_128', 'code_39', 'ean_13', 'ean_8', 'upc_a', 'itf', 'qr_code', 'data_matrix'];

interface NativeDetectorClass {
  new (options: { formats: string[] }): Detector;
  getSupportedFormats(): Promise<string[]>;
}

/**
 * The platform's BarcodeDetector where it exists and reads our formats (Android, ChromeOS,
 * macOS), otherwise the zxing-wasm ponyfill — loaded only then, with its .wasm served from this
 * app (and precached), never from a CDN, so the camera works offline.
 */
export async function createDetector(): Promise<Detector> {
  const native = (globalThis as { BarcodeDetector?: NativeDetectorClass }).BarcodeDetector;
  if (native !== undefined) {
    const supported: string[] = await native.getSupportedFormats().catch(() => []);
    const formats = FORMATS.filter((f) => supported.includes(f));
    if (formats.includes('code_128')) return new native({ formats });
  }
  const { BarcodeDetector, prepareZXingModule } = await import('barcode-detector/ponyfill');
  prepareZXingModule({ overrides: { locateFile: (path: string, prefix: string) => (path.endsWith('.wasm') ? wasmUrl : prefix + path) } });
  return new BarcodeDetector({ formats: FORMATS as never });
}
