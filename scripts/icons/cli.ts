import { copyFile, mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { PROJECT_ROOT } from '../../supabase/local/paths';
import { launchChromium } from '../../tests/helpers/chromium';
import { pngSize } from './png';
import { errorMessage } from '../../core/errors';

const SOURCE = join(PROJECT_ROOT, 'resources', 'icon.svg');
/** Linux icon theme sizes (electron-builder takes the folder); 1024 for macOS/Windows conversion. */
const LINUX_SIZES = [16, 24, 32, 48, 64, 128, 256, 512, 1024] as const;
/** The crew PWA's install icons (Android wants 192 and 512). */
const PWA_SIZES = [192, 512] as const;

/**
 * `npm run icons`: every app icon from the one source image, resources/icon.svg, rasterised by
 * Chromium (already a test dependency) — resources/icons/<n>x<n>.png for Linux, resources/icon.png
 * (1024) from which electron-builder makes .icns and .ico, and the PWA's PNGs.
 */
async function main(): Promise<void> {
  const svg = await readFile(SOURCE, 'utf8');
  const browser = await launchChromium();
  try {
    const page = await browser.newPage();
    const render = async (size: number): Promise<Buffer> => {
      await page.setViewportSize({ width: size, height: size });
      await page.setContent(
        `<html><body style="margin:0;background:transparent">${svg.replace('<svg ', `<svg width="${size}" height="${size}" `)}</body></html>`,
      );
      const png = await page.screenshot({ omitBackground: true, clip: { x: 0, y: 0, width: size, height: size } });
      const measured = pngSize(png);
      if (measured?.width !== size || measured.height !== size) throw new Error(`rendered ${JSON.stringify(measured)} for ${size}px`);
      return png;
    };
    await mkdir(join(PROJECT_ROOT, 'resources', 'icons'), { recursive: true });
    for (const size of LINUX_SIZES) await writeFile(join(PROJECT_ROOT, 'resources', 'icons', `${size}x${size}.png`), await render(size));
    await copyFile(join(PROJECT_ROOT, 'resources', 'icons', '1024x1024.png'), join(PROJECT_ROOT, 'resources', 'icon.png'));
    for (const size of PWA_SIZES) await writeFile(join(PROJECT_ROOT, 'renderer', 'public', `icon-${size}.png`), await render(size));
    await copyFile(SOURCE, join(PROJECT_ROOT, 'renderer', 'public', 'icon.svg'));
    process.stdout.write(`icons: ${LINUX_SIZES.length} Linux sizes, resources/icon.png, PWA ${PWA_SIZES.join(' and ')}\n`);
  } finally {
    await browser.close();
  }
}

main().catch((error: unknown) => {
  process.stderr.write(`icons failed: ${errorMessage(error)}\n`);
  process.exit(1);
});
