package io.sparkattention.kernel.impl;

import io.sparkattention.kernel.GlobalTokens;
import org.ejml.data.DMatrixRMaj;

/**
 * What the block kernels and their facade share: the one shape check of a block of queries, keys,
 * values and running state, and the clipping of each query row's allowed key interval to a block.
 * The facade ({@link io.sparkattention.kernel.AttentionOps}) and each kernel check with {@link
 * #requireBlock} once, at the top of their public entry; nothing is checked inside the loops.
 */
public final class Blocks {
  private Blocks() {}

  /** {@code "rows×cols"}, as every shape message prints it. */
  public static String shape(int rows, int cols) {
    return rows + "×" + cols;
  }

  /** {@code M}'s shape, {@code "rows×cols"}. */
  public static String shape(DMatrixRMaj M) {
    return shape(M.numRows, M.numCols);
  }

  /**
   * Throws unless queries {@code Q} (m×d) and keys {@code K} (n×d) have equal width d ≥ 1, keys and
   * values {@code V} (n×dv) equal length, and the running state is m×dv.
   *
   * @param stateRows rows of the running state
   * @param stateCols value width of the running state
   * @throws IllegalArgumentException naming both shapes that disagree
   */
  public static void requireBlock(
      int stateRows, int stateCols, DMatrixRMaj Q, DMatrixRMaj K, DMatrixRMaj V) {
    if (Q.numCols != K.numCols) {
      throw new IllegalArgumentException(
          "Q is " + shape(Q) + " but K is " + shape(K) + ": queries and keys need equal width");
    }
    if (K.numRows != V.numRows) {
      throw new IllegalArgumentException(
          "K is " + shape(K) + " but V is " + shape(V) + ": keys and values need equal length");
    }
    if (Q.numCols == 0) {
      throw new IllegalArgumentException(
          "Q and K have width 0: the score scale 1/sqrt(d) needs d >= 1");
    }
    if (stateRows != Q.numRows || stateCols != V.numCols) {
      throw new IllegalArgumentException(
          "state is "
              + shape(stateRows, stateCols)
              + " but Q is "
              + shape(Q)
              + " and V is "
              + shape(V));
    }
  }

  /** The block index of the first key a row with allowed interval from {@code lo} may see. */
  static int first(long lo, long kPos0, int nk) {
    return (int) Math.max(0, Math.min(nk, lo - kPos0));
  }

  /** The block index of the last key a row with allowed interval up to {@code hi} may see. */
  static int last(long hi, long kPos0, int nk) {
    return (int) Math.min(nk - 1, Math.max(-1, hi - kPos0));
  }

  /**
   * Whether any of rows r0 … r1-1's allowed keys ({@code [lo, hi]} and the global tokens in {@code
   * [lo2, hi2]}) meets keys [k0, k1].
   */
  static boolean anyRowSees(int r0, int r1, BlockScratch block, long k0, long k1) {
    final long[] lo = block.lo;
    final long[] hi = block.hi;
    final long[] lo2 = block.lo2;
    final long[] hi2 = block.hi2;
    final GlobalTokens g = block.globals;
    for (int i = r0; i < r1; i++) {
      if (lo[i] <= k1 && hi[i] >= k0 && lo[i] <= hi[i]) {
        return true;
      }
      long a = Math.max(lo2[i], k0);
      long b = Math.min(hi2[i], k1);
      if (a <= b) {
        long next = g == null ? a : g.next(a);
        if (next >= 0 && next <= b) {
          return true;
        }
      }
    }
    return false;
  }

  /**
   * Row {@code i}'s allowed keys within a block of {@code nk} keys at {@code kPos0}, as runs of
   * block indices in increasing order, apart, written to {@code runs}: run r is {@code runs[2r] …
   * runs[2r+1]}. The base interval is one run; the global keys of the second interval one per run
   * of global positions, merged with the base run where they meet. Returns the number of runs (0:
   * the row sees none of these keys).
   */
  static int runs(BlockScratch block, int i, long kPos0, int nk, int[] runs) {
    if (block.keyPos != null) {
      return gatheredRuns(block, i, nk, runs);
    }
    int f1 = first(block.lo[i], kPos0, nk);
    int l1 = last(block.hi[i], kPos0, nk);
    long glo = Math.max(block.lo2[i], kPos0);
    long ghi = Math.min(block.hi2[i], kPos0 + nk - 1);
    boolean baseDone = f1 > l1;
    int n = 0;
    if (glo <= ghi) {
      final GlobalTokens g = block.globals;
      if (g == null) {
        int a = (int) (glo - kPos0);
        if (!baseDone && f1 < a) {
          n = add(runs, n, f1, l1);
          baseDone = true;
        }
        n = add(runs, n, a, (int) (ghi - kPos0));
      } else {
        for (int r = g.runFrom(glo), count = g.runCount(); r < count; r++) {
          long s = Math.max(glo, g.runStart(r));
          if (s > ghi) {
            break;
          }
          int a = (int) (s - kPos0);
          if (!baseDone && f1 < a) {
            n = add(runs, n, f1, l1);
            baseDone = true;
          }
          n = add(runs, n, a, (int) (Math.min(ghi, g.runEnd(r)) - kPos0));
        }
      }
    }
    if (!baseDone) {
      n = add(runs, n, f1, l1);
    }
    return n;
  }

  /**
   * {@link #runs} of a gathered block (every key a global token, at {@code block.keyPos}): the
   * indices whose positions lie in the row's base interval, and in its second interval.
   */
  private static int gatheredRuns(BlockScratch block, int i, int nk, int[] runs) {
    final long[] kp = block.keyPos;
    int a1 = lowerBound(kp, nk, block.lo[i]);
    int b1 = lowerBound(kp, nk, block.hi[i] + 1) - 1;
    int a2 = lowerBound(kp, nk, block.lo2[i]);
    int b2 = lowerBound(kp, nk, block.hi2[i] + 1) - 1;
    if (a1 > b1 || block.lo[i] > block.hi[i]) {
      return a2 <= b2 && block.lo2[i] <= block.hi2[i] ? add(runs, 0, a2, b2) : 0;
    }
    if (a2 > b2 || block.lo2[i] > block.hi2[i]) {
      return add(runs, 0, a1, b1);
    }
    return a1 <= a2
        ? add(runs, add(runs, 0, a1, b1), a2, b2)
        : add(runs, add(runs, 0, a2, b2), a1, b1);
  }

  /** The first index j < n with {@code pos[j] >= x} (n if none). */
  private static int lowerBound(long[] pos, int n, long x) {
    int lo = 0;
    int hi = n;
    while (lo < hi) {
      int mid = (lo + hi) >>> 1;
      if (pos[mid] >= x) {
        hi = mid;
      } else {
        lo = mid + 1;
      }
    }
    return lo;
  }

  /** Appends run [a, b] after the {@code n} runs, merged with the last where they meet. */
  private static int add(int[] runs, int n, int a, int b) {
    if (n > 0 && a <= runs[2 * n - 1] + 1) {
      runs[2 * n - 1] = Math.max(runs[2 * n - 1], b);
      return n;
    }
    runs[2 * n] = a;
    runs[2 * n + 1] = b;
    return n + 1;
  }
}
