/** A file the person chose in the window, as base64 for the one call that sends it to the core (a script, a share file). */
export function toBase64(bytes: ArrayBuffer): string {
  let text = '';
  for (const b of new Uint8Array(bytes)) text += String.fromCharCode(b);
  return btoa(text);
}
