/** Hands a file to the browser's (or Electron's) download: a Save dialog on the station, Downloads on a phone. */
export function download(fileName: string, content: string | Uint8Array, type: string): void {
  const part = typeof content === 'string' ? content : new Uint8Array(content);
  const url = URL.createObjectURL(new Blob([part], { type }));
  const link = document.createElement('a');
  link.href = url;
  link.download = fileName;
  document.body.append(link);
  link.click();
  link.remove();
  // The download has its own copy by the next task; the URL is not needed after.
  setTimeout(() => URL.revokeObjectURL(url), 0);
}
