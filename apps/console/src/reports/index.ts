// Team reports for administrators: computed in SQL (reports.ts), drawn as SVG charts (report-charts.ts), as a page
// and as CSV (routes.ts).
export { default, type ReportsRoutesOptions as ReportsOptions } from './routes.js'
export { teamReport, type Report, type ReportSource } from './reports.js'
