// Module hooks: `electron` resolves to the stand-in (the Electron binary is not available here).
const fake = new URL('./fake-electron.mjs', import.meta.url).href;
export async function resolve(specifier, context, next) {
  if (specifier === 'electron') return { url: fake, shortCircuit: true };
  return next(specifier, context);
}
