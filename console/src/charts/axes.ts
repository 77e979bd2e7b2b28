// uPlot axis helpers: an axis as wide as its widest label, and a y range that stays readable.
import uPlot from 'uplot';

/** Room for the widest tick label (uPlot measures nothing itself, so long numbers were cut). */
export function axisSize(u: uPlot, values: string[] | null, axisIdx: number, cycleNum: number): number {
  const axis = u.axes[axisIdx]! as uPlot.Axis & { _size?: number; font?: [string, number] };
  if (cycleNum > 1 && axis._size) return axis._size;
  const longest = (values ?? []).reduce((a, v) => (v.length > a.length ? v : a), '');
  u.ctx.font = axis.font?.[0] ?? u.ctx.font;
  const textPx = longest ? u.ctx.measureText(longest).width / (globalThis.devicePixelRatio || 1) : 0;
  return Math.ceil((axis.ticks?.size ?? 10) + (axis.gap ?? 5) + textPx + 4);
}

/**
 * The y range: the data with 10% padding, but at least 2% of its level wide, so a nearly flat
 * series still gets several labelled ticks (and a flat one is not drawn on a 0-based axis).
 */
export function yRange(_u: uPlot, min: number, max: number): uPlot.Range.MinMax {
  const mid = (min + max) / 2;
  const minSpan = mid === 0 ? 1 : Math.abs(mid) * 0.02;
  if (max - min < minSpan) return [mid - minSpan / 2, mid + minSpan / 2];
  return uPlot.rangeNum(min, max, 0.1, true);
}

