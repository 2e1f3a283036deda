// PostgreSQL's binary array format (array_send/array_recv), for one-dimensional arrays of text and int8. A Buffer
// parameter travels in binary through node-postgres, so a whole column goes over as one length-prefixed block:
// no per-element quoting and escaping (what node-postgres does for a JavaScript array), no parsing on the server.
// https://www.postgresql.org/docs/current/protocol-overview.html#PROTOCOL-FORMAT-CODES, src/backend/utils/adt/arrayfuncs.c

const TEXT_OID = 25
const INT8_OID = 20
const HEADER = 20

function writeHeader (buf: Buffer, elements: number, hasNull: boolean, oid: number): void {
  buf.writeInt32BE(1, 0) // dimensions
  buf.writeInt32BE(hasNull ? 1 : 0, 4)
  buf.writeInt32BE(oid, 8)
  buf.writeInt32BE(elements, 12)
  buf.writeInt32BE(1, 16) // lower bound
}

/** A text[] in binary: null elements are NULL. */
export function textArray (values: ReadonlyArray<string | null>): Buffer {
  let size = HEADER
  let hasNull = false
  const lengths = new Int32Array(values.length)
  for (let i = 0; i < values.length; i++) {
    const v = values[i]
    if (v === null || v === undefined) {
      hasNull = true
      lengths[i] = -1
      size += 4
    } else {
      const n = Buffer.byteLength(v, 'utf8')
      lengths[i] = n
      size += 4 + n
    }
  }
  const buf = Buffer.allocUnsafe(size)
  writeHeader(buf, values.length, hasNull, TEXT_OID)
  let offset = HEADER
  for (let i = 0; i < values.length; i++) {
    const n = lengths[i]!
    buf.writeInt32BE(n, offset)
    offset += 4
    if (n > 0) offset += buf.write(values[i]!, offset, n, 'utf8')
  }
  return buf
}

/** An int8[] in binary from decimal strings within ±2^53 (seconds since the epoch and the like). */
export function int8Array (values: ReadonlyArray<string>): Buffer {
  const buf = Buffer.allocUnsafe(HEADER + values.length * 12)
  writeHeader(buf, values.length, false, INT8_OID)
  let offset = HEADER
  for (let i = 0; i < values.length; i++) {
    const n = Number(values[i])
    if (!Number.isSafeInteger(n)) throw new RangeError(`not an integer within ±2^53: ${values[i]}`)
    buf.writeInt32BE(8, offset)
    buf.writeInt32BE(Math.floor(n / 0x1_0000_0000), offset + 4)
    buf.writeUInt32BE(n >>> 0, offset + 8)
    offset += 12
  }
  return buf
}
