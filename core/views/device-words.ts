/**
 * Which device a movement came from, in words. The server keeps only the device id
 * ("station-<uuid>", "pwa-<uuid>"), which means nothing to an operator: this device is named,
 * another one is said by its kind, and an id of no known kind is left out.
 */
export function deviceWords(deviceId: string | null, own: { id: string; name: string }): string | null {
  if (deviceId === null) return null;
  if (deviceId === own.id) return own.id.startsWith('pwa-') ? `this phone (${own.name})` : `this station (${own.name})`;
  if (deviceId.startsWith('pwa-')) return 'a crew phone';
  if (deviceId.startsWith('station-')) return 'another station';
  return null;
}
