package io.sparkattention.kernel;

import org.ejml.data.DMatrixRMaj;

/**
 * Finiteness checks shared by the kernel facades; each message names what is wrong. Shape checks
 * and shape strings: {@link io.sparkattention.kernel.impl.Blocks}.
 */
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
}
