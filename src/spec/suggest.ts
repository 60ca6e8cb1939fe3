/**
 * "Did you mean" suggestions: the closest known name by edit distance (Damerau-Levenshtein,
 * optimal string alignment), used for unknown keys, tokens, targets and config keys.
 */

function rowMin(row: readonly number[]): number {
  let min = Infinity;
  for (const v of row) if (v < min) min = v;
  return min;
}

/**
 * Edit distance between two strings, counting an adjacent swap as one edit. With `bound`, any
 * distance above it may be returned as `bound + 1` (early exit, so a long candidate list costs
 * little).
 */
export function editDistance(a: string, b: string, bound = Infinity): number {
  const n = a.length;
  const m = b.length;
  if (n === 0) return m;
  if (m === 0) return n;
  if (Math.abs(n - m) > bound) return bound + 1;
  let prev2: number[] = [];
  let prev: number[] = Array.from({ length: m + 1 }, (_, j) => j);
  for (let i = 1; i <= n; i++) {
    const cur: number[] = [i];
    for (let j = 1; j <= m; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let v = Math.min((prev[j] ?? 0) + 1, (cur[j - 1] ?? 0) + 1, (prev[j - 1] ?? 0) + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) {
        v = Math.min(v, (prev2[j - 2] ?? 0) + 1);
      }
      cur.push(v);
    }
    // Every later row is at least this row's minimum (the OSA recurrence never lowers it by more
    // than what a swap of the previous row allows, which the bound check covers with prev2).
    if (bound !== Infinity && rowMin(cur) > bound && rowMin(prev) > bound) return bound + 1;
    prev2 = prev;
    prev = cur;
  }
  return prev[m] ?? 0;
}

/**
 * The candidate closest to `name`, if it is close enough to be a likely typo: at most a third
 * of the name's length (and at least 1, at most 3 edits). Ties go to the earlier candidate.
 */
export function closest(name: string, candidates: Iterable<string>): string | undefined {
  const limit = Math.max(1, Math.min(3, Math.floor(name.length / 3)));
  let best: string | undefined;
  let bestD = Infinity;
  const lower = name.toLowerCase();
  for (const c of candidates) {
    if (c === name) continue;
    const d = editDistance(lower, c.toLowerCase(), Math.min(limit, bestD - 1));
    if (d < bestD) {
      best = c;
      bestD = d;
    }
  }
  return bestD <= limit ? best : undefined;
}
