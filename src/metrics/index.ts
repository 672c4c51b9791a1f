// `sealwire/metrics`: Prometheus metrics for a SecureServer (prom-client is an optional peer).
export { collectMetrics, type MetricsOptions, type ServerMetrics } from './collect.js';
