#!/usr/bin/env node
// Draws the app icon (a shield with a keyhole) and writes it as PNG (512 and
// 256), ICO (PNG-in-ICO, Windows Vista and later) and ICNS (ic08/ic09 PNG
// entries). Run again after changing the drawing: node resources/icons/make-icons.mjs
import { writeFileSync } from 'node:fs';
import { deflateSync } from 'node:zlib';

const SHIELD = [26, 79, 139];
const RIM = [138, 180, 248];
const KEYHOLE = [255, 255, 255];

function shieldHalfWidth(y) {
  if (y < 0.1 || y > 0.92) return -1;
  if (y <= 0.52) return 0.34;
  const t = (y - 0.52) / 0.4;
  return 0.34 * Math.sqrt(Math.max(0, 1 - t * t));
}

function colourAt(x, y) {
  const half = shieldHalfWidth(y);
  const dx = Math.abs(x - 0.5);
  if (half < 0 || dx > half) return null;
  const inner = shieldHalfWidth(y + 0.035) - 0.035;
  const inKeyholeHead = (x - 0.5) ** 2 + (y - 0.43) ** 2 < 0.075 ** 2;
  const inKeyholeFoot = y >= 0.43 && y <= 0.66 && dx <= 0.03 + (y - 0.43) * 0.12;
  if (inKeyholeHead || inKeyholeFoot) return KEYHOLE;
  if (y < 0.13 || dx > inner) return RIM;
  return SHIELD;
}

function draw(size) {
  const px = new Uint8Array(size * size * 4);
  const S = 4;
  for (let j = 0; j < size; j++) {
    for (let i = 0; i < size; i++) {
      let r = 0, g = 0, b = 0, a = 0;
      for (let sj = 0; sj < S; sj++) {
        for (let si = 0; si < S; si++) {
          const c = colourAt((i + (si + 0.5) / S) / size, (j + (sj + 0.5) / S) / size);
          if (c) { r += c[0]; g += c[1]; b += c[2]; a += 1; }
        }
      }
      const o = (j * size + i) * 4;
      if (a > 0) { px[o] = r / a; px[o + 1] = g / a; px[o + 2] = b / a; px[o + 3] = (255 * a) / (S * S); }
    }
  }
  return px;
}

const CRC_TABLE = Array.from({ length: 256 }, (_, n) => {
  let c = n;
  for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
  return c >>> 0;
});
function crc32(buf) {
  let c = 0xffffffff;
  for (const byte of buf) c = CRC_TABLE[(c ^ byte) & 0xff] ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}
function chunk(type, data) {
  const out = Buffer.alloc(12 + data.length);
  out.writeUInt32BE(data.length, 0);
  out.write(type, 4, 'ascii');
  Buffer.from(data).copy(out, 8);
  out.writeUInt32BE(crc32(out.subarray(4, 8 + data.length)), 8 + data.length);
  return out;
}
function png(size) {
  const px = draw(size);
  const raw = Buffer.alloc(size * (size * 4 + 1));
  for (let j = 0; j < size; j++) Buffer.from(px.subarray(j * size * 4, (j + 1) * size * 4)).copy(raw, j * (size * 4 + 1) + 1);
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(size, 0);
  ihdr.writeUInt32BE(size, 4);
  ihdr.set([8, 6, 0, 0, 0], 8);
  return Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), chunk('IHDR', ihdr), chunk('IDAT', deflateSync(raw, { level: 9 })), chunk('IEND', Buffer.alloc(0))]);
}

function ico(png256) {
  const header = Buffer.alloc(6 + 16);
  header.writeUInt16LE(0, 0); header.writeUInt16LE(1, 2); header.writeUInt16LE(1, 4);
  header[6] = 0; header[7] = 0; // 0 means 256 pixels
  header.writeUInt16LE(1, 10); header.writeUInt16LE(32, 12);
  header.writeUInt32LE(png256.length, 14); header.writeUInt32LE(22, 18);
  return Buffer.concat([header, png256]);
}

function icns(entries) {
  const parts = entries.map(([type, data]) => { const h = Buffer.alloc(8); h.write(type, 0, 'ascii'); h.writeUInt32BE(8 + data.length, 4); return Buffer.concat([h, data]); });
  const body = Buffer.concat(parts);
  const h = Buffer.alloc(8); h.write('icns', 0, 'ascii'); h.writeUInt32BE(8 + body.length, 4);
  return Buffer.concat([h, body]);
}

const dir = new URL('./', import.meta.url);
const p512 = png(512);
const p256 = png(256);
writeFileSync(new URL('icon.png', dir), p512);
writeFileSync(new URL('256x256.png', dir), p256);
writeFileSync(new URL('icon.ico', dir), ico(p256));
writeFileSync(new URL('icon.icns', dir), icns([['ic08', p256], ['ic09', p512]]));
