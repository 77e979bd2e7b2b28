// Reading one sample from the broker's Prometheus text (/metrics).

/** The value of `name` whose labels include every one given (other labels, e.g. app, may be present); 0 when absent. */
export function metricSample(text: string, name: string, labels: Record<string, string> = {}): number {
  for (const line of text.split('\n')) {
    const match = /^([a-z_]+)(\{[^}]*\})? ([0-9.e+-]+)$/.exec(line);
    if (!match || match[1] !== name) continue;
    const labelText = match[2] ?? '';
    if (Object.entries(labels).every(([k, v]) => labelText.includes(`${k}="${v}"`))) return Number(match[3]);
  }
  return 0;
}

export async function fetchMetric(httpUrl: string, name: string, labels: Record<string, string> = {}): Promise<number> {
  return metricSample(await (await fetch(`${httpUrl}/metrics`)).text(), name, labels);
}
