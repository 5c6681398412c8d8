// esbuild's binary loader turns an imported .gz file into its bytes.
declare module '*.gz' {
  const bytes: Uint8Array;
  export default bytes;
}
