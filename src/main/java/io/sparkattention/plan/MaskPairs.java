package io.sparkattention.plan;

import io.sparkattention.kernel.GlobalTokens;
import io.sparkattention.kernel.Mask;

/**
 * The number of (query, key) pairs a mask allows over a rectangle of positions, without visiting
 * them: nothing on the driver may cost per token (issue 13). The plan's tasks and the cost model
 * count their work with it; the tests cross-check it against {@link #byLoop}.
 */
final class MaskPairs {
  private MaskPairs() {}

  /**
   * Number of (q, k) with q in [qs, qe), k in [ks, ke) that the mask allows. Without global tokens
   * or segments in O(1): per query the count is g(q) = hi(q) − lo(q) + 1, clipped at 0, with hi(q)
   * = min(ke − 1, lastKey(q)) and lo(q) = max(ks, firstKey(q)); each has one kink, so g is linear
   * with slope −1, 0 or 1 between the kinks, and each piece sums as an arithmetic series of its
   * positive terms. Segments sum per segment (global tokens then within each segment); global
   * tokens per run of global queries and, for the queries between them, per run of global keys.
   */
  static long count(Mask mask, long qs, long qe, long ks, long ke) {
    if (qs >= qe || ks >= ke) {
      return 0;
    }
    if (mask.hasSegments()) {
      // within a segment the segments are no constraint: sum the whole mask's pairs per segment
      // (its global tokens kept: they too see and are seen within their segment only)
      Mask whole = mask.withoutSegments();
      long pairs = 0;
      for (int i = mask.segmentOf(qs), last = mask.segmentOf(qe - 1); i <= last; i++) {
        long lo = mask.segmentStart(i);
        long end = mask.segmentEnd(i);
        pairs +=
            count(whole, Math.max(qs, lo), Math.min(qe, end), Math.max(ks, lo), Math.min(ke, end));
      }
      return pairs;
    }
    if (mask.hasGlobalTokens()) {
      return withGlobals(mask, qs, qe, ks, ke);
    }
    // lastKey(q) = q + c and firstKey(q) = q − w, or unbounded (no kink within reach)
    long hiKink = clamp(ke - 1 - (mask.lastKey(0)), qs, qe);
    long loKink = clamp(ks - mask.firstKey(0), qs, qe);
    long[] cuts = {qs, Math.min(hiKink, loKink), Math.max(hiKink, loKink), qe};
    long pairs = 0;
    for (int i = 0; i + 1 < cuts.length; i++) {
      pairs += positiveSum(mask, cuts[i], cuts[i + 1], ks, ke);
    }
    return pairs;
  }

  /**
   * With global tokens: a run of global queries sees what the base mask without its window allows
   * (every key, or those at or before it); the queries between runs see their base interval and,
   * per run of global keys, what the windowless mask allows there beyond the base mask.
   */
  private static long withGlobals(Mask mask, long qs, long qe, long ks, long ke) {
    GlobalTokens g = mask.globals();
    Mask base = mask.withoutGlobalTokens();
    Mask open = base.withoutWindow();
    long pairs = 0;
    long q = qs;
    for (int r = g.runFrom(qs), n = g.runCount(); q < qe; r++) {
      long g0 = r < n ? Math.min(qe, Math.max(q, g.runStart(r))) : qe;
      pairs += nonGlobalQueries(g, base, open, q, g0, ks, ke);
      if (g0 >= qe) {
        break;
      }
      long g1 = Math.min(qe, g.runEnd(r) + 1);
      pairs += count(open, g0, g1, ks, ke);
      q = g1;
    }
    return pairs;
  }

  private static long nonGlobalQueries(
      GlobalTokens g, Mask base, Mask open, long qs, long qe, long ks, long ke) {
    if (qs >= qe) {
      return 0;
    }
    long pairs = count(base, qs, qe, ks, ke);
    for (int r = g.runFrom(ks), n = g.runCount(); r < n && g.runStart(r) < ke; r++) {
      long u = Math.max(ks, g.runStart(r));
      long v = Math.min(ke, g.runEnd(r) + 1);
      pairs += count(open, qs, qe, u, v) - count(base, qs, qe, u, v);
    }
    return pairs;
  }

  /** The plain loop {@link #count} must equal (for the tests). */
  static long byLoop(Mask mask, long qs, long qe, long ks, long ke) {
    long pairs = 0;
    for (long q = qs; q < qe; q++) {
      for (long k = ks; k < ke; k++) {
        pairs += mask.allows(q, k) ? 1 : 0;
      }
    }
    return pairs;
  }

  private static long clamp(long x, long lo, long hi) {
    return Math.max(lo, Math.min(hi, x));
  }

  /** g(q) unclipped: keys query q may see among [ks, ke), minus nothing (may be ≤ 0). */
  private static long keysSeen(Mask mask, long q, long ks, long ke) {
    return Math.min(ke - 1, mask.lastKey(q)) - Math.max(ks, mask.firstKey(q)) + 1;
  }

  /** Σ max(0, g(q)) over q in [a, b), g linear there with slope −1, 0 or 1. */
  private static long positiveSum(Mask mask, long a, long b, long ks, long ke) {
    long n = b - a;
    if (n <= 0) {
      return 0;
    }
    long g0 = keysSeen(mask, a, ks, ke);
    long slope = n == 1 ? 0 : keysSeen(mask, a + 1, ks, ke) - g0;
    long first;
    long count;
    if (slope == 0) {
      return g0 > 0 ? g0 * n : 0;
    } else if (slope > 0) {
      long skip = Math.max(0, 1 - g0); // terms still ≤ 0
      if (skip >= n) {
        return 0;
      }
      first = g0 + skip;
      count = n - skip;
      return (first + first + count - 1) * count / 2;
    } else {
      count = Math.min(n, Math.max(0, g0));
      return (g0 + g0 - count + 1) * count / 2;
    }
  }
}
