// Prometheus text (GET /metrics) read into numbers, and rates between two readings.

/** The samples of a Prometheus text exposition: { name, labels, value }. */
export function parseMetrics(text) {
  const samples = [];
  for (const line of text.split("\n")) {
    if (!line || line.startsWith("#")) continue;
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{([^}]*)\})?\s+(\S+)/.exec(line);
    if (!m) continue;
    const labels = {};
    for (const pair of (m[3] ?? "").matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g)) labels[pair[1]] = pair[2];
    samples.push({ name: m[1], labels, value: Number(m[4]) });
  }
  return samples;
}

/** The sum of a metric's samples whose labels include `where`. */
export function total(samples, name, where = {}) {
  let sum = 0;
  for (const s of samples)
    if (s.name === name && Object.entries(where).every(([k, v]) => s.labels[k] === v)) sum += s.value;
  return sum;
}

/** Per minute between two readings of a counter (0 when the counter restarted). */
export function perMinute(before, after, seconds) {
  if (seconds <= 0 || after < before) return 0;
  return ((after - before) * 60) / seconds;
}
