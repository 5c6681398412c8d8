// A minimal protocol-buffers writer: exactly the wire types the ONNX subset needs (varint,
// 32-bit, length-delimited). Messages are built inside out: a nested message is encoded to bytes
// first and written as a length-delimited field, so no length ever has to be patched later.
// see: https://protobuf.dev/programming-guides/encoding/

const WIRE_VARINT = 0;
const WIRE_BYTES = 2;
const WIRE_FIXED32 = 5;

const utf8 = new TextEncoder();

export class ProtoWriter {
  #buf = new Uint8Array(256);
  #len = 0;

  #reserve(n: number): void {
    if (this.#len + n <= this.#buf.length) return;
    let cap = this.#buf.length * 2;
    while (cap < this.#len + n) cap *= 2;
    const next = new Uint8Array(cap);
    next.set(this.#buf.subarray(0, this.#len));
    this.#buf = next;
  }

  #byte(b: number): void {
    this.#reserve(1);
    this.#buf[this.#len++] = b;
  }

  /**
   * A varint of any safe integer. Negative values are their 64-bit two's complement (10 bytes),
   * as protobuf encodes int32 and int64 alike.
   */
  #varint(value: number): void {
    if (!Number.isSafeInteger(value)) throw new RangeError(`protobuf: ${value} is not a safe integer`);
    if (value >= 0) {
      // Division, not >>>: values above 2^32 must keep their high bits.
      while (value > 0x7f) {
        this.#byte((value % 128) | 0x80);
        value = Math.floor(value / 128);
      }
      this.#byte(value);
      return;
    }
    let v = BigInt.asUintN(64, BigInt(value));
    while (v > 0x7fn) {
      this.#byte(Number(v & 0x7fn) | 0x80);
      v >>= 7n;
    }
    this.#byte(Number(v));
  }

  #tag(field: number, wire: number): void {
    this.#varint(field * 8 + wire);
  }

  /** An int32, int64 or enum field (always written, even when 0). */
  int(field: number, value: number): this {
    this.#tag(field, WIRE_VARINT);
    this.#varint(value);
    return this;
  }

  /** A repeated int64 field, one tagged element per value (the proto2 default, unpacked). */
  ints(field: number, values: readonly number[]): this {
    for (const v of values) this.int(field, v);
    return this;
  }

  /** A float field (fixed 32 bits, little-endian). */
  float(field: number, value: number): this {
    this.#tag(field, WIRE_FIXED32);
    this.#reserve(4);
    new DataView(this.#buf.buffer).setFloat32(this.#len, value, true);
    this.#len += 4;
    return this;
  }

  /** A bytes field, or a nested message already encoded. */
  bytes(field: number, value: Uint8Array): this {
    this.#tag(field, WIRE_BYTES);
    this.#varint(value.length);
    this.#reserve(value.length);
    this.#buf.set(value, this.#len);
    this.#len += value.length;
    return this;
  }

  /** A string field (UTF-8). */
  string(field: number, value: string): this {
    return this.bytes(field, utf8.encode(value));
  }

  /** A nested message field. */
  message(field: number, value: ProtoWriter): this {
    return this.bytes(field, value.finish());
  }

  /** The bytes written so far (a view; copy before writing more). */
  finish(): Uint8Array {
    return this.#buf.subarray(0, this.#len);
  }
}
