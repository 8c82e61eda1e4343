// `express4` is an npm alias of express@4, installed to run every test on Express 4 and 5; the
// app-building surface the tests use is typed the same in both.
declare module 'express4' {
  import express from 'express';
  // biome-ignore lint/style/noDefaultExport: describes express's own default export
  export default express;
}
