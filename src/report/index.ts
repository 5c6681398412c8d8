// The self-contained HTML report (see html.ts).
export { renderReport, describeLayers, type ReportInput, type ReportSample, type ReportHistory } from './html.ts';
export { pngDataUri } from './png.ts';
