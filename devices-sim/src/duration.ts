const units = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 } as const;

/** "500ms", "1s", "1.5s", "2m", "1h" → milliseconds; undefined for anything else. */
export function parseDurationMs(text: string): number | undefined {
  const match = /^(\d+(?:\.\d+)?)(ms|s|m|h)$/.exec(text.trim());
  if (!match) return undefined;
  return Math.round(Number(match[1]) * units[match[2] as keyof typeof units]);
}
