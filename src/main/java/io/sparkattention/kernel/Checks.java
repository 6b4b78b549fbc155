package io.sparkattention.kernel;

import org.ejml.data.DMatrixRMaj;

/** Argument checks shared by the kernel facades; each message names what is wrong. */
final class Checks {
  private Checks() {}

  /** Throws if any element of {@code M} is NaN or infinite, naming the matrix, row and column. */
  static void requireFinite(DMatrixRMaj M, String name) {
    final double[] d = M.data;
    final int n = M.numRows * M.numCols;
    for (int i = 0; i < n; i++) {
      if (!Double.isFinite(d[i])) {
        throw new IllegalArgumentException(
            name + " has " + d[i] + " at row " + i / M.numCols + ", column " + i % M.numCols);
      }
    }
  }

  static void requireFinite(double[] v, String name) {
    for (int i = 0; i < v.length; i++) {
      if (!Double.isFinite(v[i])) {
        throw new IllegalArgumentException(name + " has " + v[i] + " at index " + i);
      }
    }
  }

  static String shape(DMatrixRMaj M) {
    return M.numRows + "×" + M.numCols;
  }

  /** Queries and keys of equal width ≥ 1, keys and values of equal length. */
  static void requireAttentionShapes(DMatrixRMaj Q, DMatrixRMaj K, DMatrixRMaj V) {
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
  }
}
