package io.sparkattention.kernel.impl;

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
   * Whether any of rows r0 … r1-1's allowed intervals ({@code [lo, hi]} and {@code [lo2, hi2]})
   * meets keys [k0, k1].
   */
  static boolean anyRowSees(int r0, int r1, BlockScratch block, long k0, long k1) {
    final long[] lo = block.lo;
    final long[] hi = block.hi;
    final long[] lo2 = block.lo2;
    final long[] hi2 = block.hi2;
    for (int i = r0; i < r1; i++) {
      if (lo[i] <= k1 && hi[i] >= k0 && lo[i] <= hi[i]) {
        return true;
      }
      if (lo2[i] <= k1 && hi2[i] >= k0 && lo2[i] <= hi2[i]) {
        return true;
      }
    }
    return false;
  }

  /**
   * Row {@code i}'s allowed keys within a block of {@code nk} keys at {@code kPos0}, as at most two
   * runs of block indices in increasing order, written to {@code runs}: {@code runs[0] … runs[1]}
   * and {@code runs[2] … runs[3]}, the second empty ({@code runs[2] > runs[3]}) when the intervals
   * meet or one is empty, the first empty only if both are.
   */
  static void runs(BlockScratch block, int i, long kPos0, int nk, int[] runs) {
    int f1 = first(block.lo[i], kPos0, nk);
    int l1 = last(block.hi[i], kPos0, nk);
    int f2 = first(block.lo2[i], kPos0, nk);
    int l2 = last(block.hi2[i], kPos0, nk);
    if (f2 > l2) {
      set(runs, f1, l1, 1, 0);
    } else if (f1 > l1) {
      set(runs, f2, l2, 1, 0);
    } else if (f2 <= l1 + 1 && l2 >= f1 - 1) {
      set(runs, Math.min(f1, f2), Math.max(l1, l2), 1, 0); // they meet: one run
    } else if (f2 < f1) {
      set(runs, f2, l2, f1, l1);
    } else {
      set(runs, f1, l1, f2, l2);
    }
  }

  private static void set(int[] runs, int a, int b, int c, int d) {
    runs[0] = a;
    runs[1] = b;
    runs[2] = c;
    runs[3] = d;
  }
}
