/**
 * How long ago a moment was, for people: "2 min ago" (lenses, hovers) or, compact for tree
 * rows and the status bar, "2m ago".
 */
export function age(ms: number, now = Date.now(), style: 'long' | 'compact' = 'long'): string {
  const s = Math.max(0, Math.round((now - ms) / 1000));
  const [n, unit] =
    s < 60
      ? [s, 's']
      : s < 3600
        ? [Math.round(s / 60), 'min']
        : s < 86400
          ? [Math.round(s / 3600), 'h']
          : [Math.round(s / 86400), 'd'];
  return style === 'compact' ? `${n}${unit === 'min' ? 'm' : unit} ago` : `${n} ${unit} ago`;
}
