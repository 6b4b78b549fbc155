package io.sparkattention.kernel;

import org.ejml.data.DMatrixRMaj;

/**
 * The pyramidal reduction of Listen, Attend and Spell (Chan et al. 2016): concatenate adjacent time
 * steps, halving the length and doubling the width. Step {@code p} goes to row {@code p / 2},
 * columns {@code (p % 2)·d …}. For an odd length the last row pairs the final step with zeros, so
 * no step is dropped: n rows become {@code ceil(n / 2)}.
 */
public final class PyramidOps {
  private PyramidOps() {}

  /** {@code X} (n×d) reduced to ceil(n/2)×2d. */
  public static DMatrixRMaj reduce(DMatrixRMaj X) {
    final int n = X.numRows;
    final int d = X.numCols;
    DMatrixRMaj Y = new DMatrixRMaj(reducedLength(n), 2 * d);
    // row p of X is the (p % 2)-th half of row p / 2 of Y; rows are contiguous in both layouts
    System.arraycopy(X.data, 0, Y.data, 0, n * d);
    return Y;
  }

  /** {@code X} reduced {@code levels} times. */
  public static DMatrixRMaj reduce(DMatrixRMaj X, int levels) {
    if (levels < 0) {
      throw new IllegalArgumentException("pyramid levels must be >= 0, got " + levels);
    }
    DMatrixRMaj Y = X;
    for (int l = 0; l < levels; l++) {
      Y = reduce(Y);
    }
    return levels == 0 ? X.copy() : Y;
  }

  /** The length after one reduction: {@code ceil(n / 2)}. */
  public static int reducedLength(int n) {
    return (n + 1) / 2;
  }
}
