// `import m from './x.wasm?module'`: a compiled WebAssembly.Module, as edge bundlers provide it.
declare module '*.wasm?module' {
  const module: WebAssembly.Module;
  export default module;
}
