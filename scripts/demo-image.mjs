// The demo's pictures: a small PNG drawn here (no binary in the repository), served by the local stand-in for
// WeChat under the media_ids `pnpm wechat:push --type image` and `--type card` send.
import zlib from 'node:zlib'

const CRC_TABLE = Array.from({ length: 256 }, (_, n) => {
  let c = n
  for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1
  return c >>> 0
})
function crc32 (buf) {
  let c = 0xffffffff
  for (const b of buf) c = CRC_TABLE[(c ^ b) & 0xff] ^ (c >>> 8)
  return (c ^ 0xffffffff) >>> 0
}
function chunk (type, data) {
  const out = Buffer.alloc(12 + data.length)
  out.writeUInt32BE(data.length, 0)
  out.write(type, 4, 'ascii')
  data.copy(out, 8)
  out.writeUInt32BE(crc32(out.subarray(4, 8 + data.length)), 8 + data.length)
  return out
}

/** A 320×200 RGB PNG: a teal-to-blue gradient with a white speech bubble, the demo's "customer photo". */
export function demoPng (hue = 0) {
  const w = 320
  const h = 200
  const raw = Buffer.alloc((w * 3 + 1) * h)
  for (let y = 0; y < h; y++) {
    raw[y * (w * 3 + 1)] = 0
    for (let x = 0; x < w; x++) {
      const i = y * (w * 3 + 1) + 1 + x * 3
      const dx = (x - 160) / 90
      const dy = (y - 90) / 50
      const bubble = dx * dx + dy * dy <= 1 || (x > 120 && x < 150 && y > 125 && y < 160 && x - 120 < 160 - y)
      raw[i] = bubble ? 255 : (20 + x / 4 + hue) & 0xff
      raw[i + 1] = bubble ? 255 : 150 - y / 3
      raw[i + 2] = bubble ? 255 : 160 + y / 3
    }
  }
  const header = Buffer.alloc(13)
  header.writeUInt32BE(w, 0)
  header.writeUInt32BE(h, 4)
  header[8] = 8
  header[9] = 2
  return Buffer.concat([Buffer.from('89504e470d0a1a0a', 'hex'), chunk('IHDR', header), chunk('IDAT', zlib.deflateSync(raw)), chunk('IEND', Buffer.alloc(0))])
}

/** The media_ids of the demo pushes (packages/wechat-crypto's simulator). */
export const DEMO_MEDIA_IDS = ['media_demo_1', 'thumb_media_demo']
