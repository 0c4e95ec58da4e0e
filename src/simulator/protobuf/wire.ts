/**
 * A minimal protobuf wire-format reader over one Buffer: varints, fixed
 * 32/64-bit values and length-delimited ranges, always bounded by the end
 * of the message being read. It allocates nothing per value beyond the
 * strings it returns; nested messages are read in place by narrowing
 * `limit`.
 */

import { MAX_NESTING_DEPTH } from '../api/json-limits.js';

export const WireType = {
  VARINT: 0,
  FIXED64: 1,
  LENGTH_DELIMITED: 2,
  START_GROUP: 3,
  END_GROUP: 4,
  FIXED32: 5,
} as const;

export const WIRE_TYPE_NAMES: readonly string[] = [
  'varint',
  'fixed64',
  'length-delimited',
  'start-group',
  'end-group',
  'fixed32',
  'wire type 6',
  'wire type 7',
];

/** A varint is at most 10 bytes: 64 bits in 7-bit groups. */
const MAX_VARINT_BYTES = 10;
const TWO_POW_32 = 0x1_0000_0000;
const FIXED32_BYTES = 4;
const FIXED64_BYTES = 8;
/**
 * Deepest nesting of messages accepted: the simulator's one JSON nesting
 * limit. It stops a crafted body from exhausting the stack through
 * self-referring types (JSONSchemaProps) or objects embedded in raw fields.
 */
export { MAX_NESTING_DEPTH };

/**
 * A malformed wire. `path` collects the JSON field names from the failing
 * value up to the top as the error unwinds, for the message to the client.
 */
export class WireError extends Error {
  readonly path: string[] = [];
  constructor(message: string) {
    super(message);
    this.name = 'WireError';
  }
}

export class WireReader {
  pos = 0;
  /** End of the message being read; nested reads narrow it and restore it. */
  limit: number;
  /** Messages entered and not yet left, counting those of the readers this one is embedded in. */
  private depth: number;
  /** Low and high 32 bits of the last varint (unsigned), kept here to avoid allocating. */
  private lo = 0;
  private hi = 0;

  /** @param enclosingDepth messages already entered by the reader of an enclosing object (a raw field holding protobuf) */
  constructor(
    readonly buf: Buffer,
    enclosingDepth = 0,
  ) {
    this.limit = buf.length;
    this.depth = enclosingDepth;
  }

  /** Messages entered and not yet left. */
  get nesting(): number {
    return this.depth;
  }

  get atEnd(): boolean {
    return this.pos >= this.limit;
  }

  private readVarint(): void {
    const buf = this.buf;
    let pos = this.pos;
    if (pos >= this.limit) throw new WireError('truncated: a varint runs past the end of its message');
    let b = buf[pos++]!;
    if (b < 0x80) {
      this.lo = b;
      this.hi = 0;
      this.pos = pos;
      return;
    }
    let lo = b & 0x7f;
    let hi = 0;
    for (let i = 1; i < MAX_VARINT_BYTES; i++) {
      if (pos >= this.limit) throw new WireError('truncated: a varint runs past the end of its message');
      b = buf[pos++]!;
      const bits = b & 0x7f;
      const shift = i * 7;
      if (shift < 28) {
        lo |= bits << shift;
      } else if (shift === 28) {
        // Byte 4 straddles the two halves: 4 bits low, 3 bits high.
        lo |= bits << 28;
        hi = bits >>> 4;
      } else {
        hi |= bits << (shift - 32);
      }
      if (b < 0x80) {
        this.lo = lo >>> 0;
        this.hi = hi >>> 0;
        this.pos = pos;
        return;
      }
    }
    throw new WireError(`malformed varint: longer than ${MAX_VARINT_BYTES} bytes`);
  }

  /** A tag or length: the low 32 bits, unsigned. */
  uint32(): number {
    this.readVarint();
    return this.lo;
  }

  /** int32 fields: negative values arrive sign-extended to 64 bits. */
  int32(): number {
    this.readVarint();
    return this.lo | 0;
  }

  /** int64 as a JS number (exact up to 2^53, like any JSON number in JS). */
  int64(): number {
    this.readVarint();
    return signed64(this.lo, this.hi);
  }

  uint64(): number {
    this.readVarint();
    return this.hi * TWO_POW_32 + this.lo;
  }

  bool(): boolean {
    this.readVarint();
    return this.lo !== 0 || this.hi !== 0;
  }

  sint32(): number {
    const n = this.uint32();
    return (n >>> 1) ^ -(n & 1);
  }

  sint64(): number {
    this.readVarint();
    // Zigzag: (n >>> 1) ^ -(n & 1) over 64 bits.
    const negative = (this.lo & 1) === 1;
    const lo = ((this.lo >>> 1) | (this.hi << 31)) >>> 0;
    const hi = this.hi >>> 1;
    const magnitude = hi * TWO_POW_32 + lo;
    return negative ? -magnitude - 1 : magnitude;
  }

  private need(bytes: number, what: string): number {
    const at = this.pos;
    if (at + bytes > this.limit) throw new WireError(`truncated: a ${what} value runs past the end of its message`);
    this.pos = at + bytes;
    return at;
  }

  double(): number {
    return this.buf.readDoubleLE(this.need(FIXED64_BYTES, 'fixed64'));
  }

  float(): number {
    return this.buf.readFloatLE(this.need(FIXED32_BYTES, 'fixed32'));
  }

  fixed32(): number {
    return this.buf.readUInt32LE(this.need(FIXED32_BYTES, 'fixed32'));
  }

  sfixed32(): number {
    return this.buf.readInt32LE(this.need(FIXED32_BYTES, 'fixed32'));
  }

  fixed64(): number {
    return Number(this.buf.readBigUInt64LE(this.need(FIXED64_BYTES, 'fixed64')));
  }

  sfixed64(): number {
    return Number(this.buf.readBigInt64LE(this.need(FIXED64_BYTES, 'fixed64')));
  }

  /** Reads a length prefix and returns the end offset of the value it announces. */
  lengthDelimitedEnd(): number {
    this.readVarint();
    const length = this.lo;
    if (this.hi !== 0 || this.pos + length > this.limit) {
      throw new WireError(
        `truncated: a length-delimited value of ${this.hi !== 0 ? 'over 4 GiB' : `${length} bytes`} ` +
          `runs past the end of its message (${this.limit - this.pos} bytes left)`,
      );
    }
    return this.pos + length;
  }

  /**
   * Enters a nested length-delimited message: reads its length and narrows
   * `limit` to its end. Returns the outer limit, to hand back to leave().
   */
  enter(): number {
    const end = this.lengthDelimitedEnd();
    if (++this.depth > MAX_NESTING_DEPTH) {
      throw new WireError(`messages nested deeper than ${MAX_NESTING_DEPTH} levels`);
    }
    const outer = this.limit;
    this.limit = end;
    return outer;
  }

  /** Leaves the message entered last; the reader must be at its end. */
  leave(outer: number): void {
    this.depth--;
    this.limit = outer;
  }

  string(): string {
    const end = this.lengthDelimitedEnd();
    const start = this.pos;
    this.pos = end;
    return this.buf.toString('utf8', start, end);
  }

  base64(): string {
    const end = this.lengthDelimitedEnd();
    const start = this.pos;
    this.pos = end;
    return this.buf.toString('base64', start, end);
  }

  /** The raw bytes of a length-delimited value, as a view (no copy). */
  bytesView(): Buffer {
    const end = this.lengthDelimitedEnd();
    const start = this.pos;
    this.pos = end;
    return this.buf.subarray(start, end);
  }

  /** Skips a value of an unknown field. */
  skip(wireType: number): void {
    switch (wireType) {
      case WireType.VARINT:
        this.readVarint();
        return;
      case WireType.FIXED64:
        this.need(FIXED64_BYTES, 'fixed64');
        return;
      case WireType.LENGTH_DELIMITED:
        this.pos = this.lengthDelimitedEnd();
        return;
      case WireType.FIXED32:
        this.need(FIXED32_BYTES, 'fixed32');
        return;
      default:
        // Groups are deprecated and never produced by Kubernetes' encoders.
        throw new WireError(`unsupported ${WIRE_TYPE_NAMES[wireType] ?? `wire type ${wireType}`} in an unknown field`);
    }
  }
}

/** Two's-complement 64-bit value from its unsigned halves. */
function signed64(lo: number, hi: number): number {
  if (hi >>> 31 === 0) return hi * TWO_POW_32 + lo;
  // Negate: invert and add one, carrying from the low half.
  const negLo = (~lo + 1) >>> 0;
  const negHi = (~hi + (negLo === 0 ? 1 : 0)) >>> 0;
  return -(negHi * TWO_POW_32 + negLo);
}
