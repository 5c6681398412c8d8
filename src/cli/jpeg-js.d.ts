// The one file of jpeg-js the CLI bundles (its decoder; the package's index also pulls the encoder).
declare module 'jpeg-js/lib/decoder.js' {
  interface DecodeOptions {
    useTArray?: boolean;
    formatAsRGBA?: boolean;
    tolerantDecoding?: boolean;
    maxResolutionInMP?: number;
    maxMemoryUsageInMB?: number;
  }
  interface Decoded {
    width: number;
    height: number;
    data: Uint8Array;
    exifBuffer?: Uint8Array;
  }
  export default function decode(data: Uint8Array, options?: DecodeOptions): Decoded;
}
