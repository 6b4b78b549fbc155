package io.sparkattention.kernel;

import static io.sparkattention.fixtures.Matrices.rows;
import static io.sparkattention.fixtures.Matrices.toMatrix;
import static io.sparkattention.kernel.KernelAssert.REL_TOL;
import static io.sparkattention.kernel.KernelAssert.assertClose;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import io.sparkattention.fixtures.Matrices;
import io.sparkattention.fixtures.PoolingReference;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Random;
import org.ejml.data.DMatrixRMaj;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Attention pooling ({@link PoolingOps}) against the reference, whole and merged over row splits;
 * the pyramid reduction ({@link PyramidOps}) on known answers and against the reference.
 */
class PoolingAndPyramidOpsTest {

  @ParameterizedTest(name = "n={0}")
  @ValueSource(ints = {1, 2, 7, 64, 257, 1000})
  void poolingMatchesReference(int n) {
    Random rnd = new Random(n);
    int d = 5;
    int a = 4;
    double[][] H = Matrices.gaussian(rnd, n, d, 1);
    double[][] W = Matrices.gaussian(rnd, d, a, 1);
    double[] b = n % 2 == 0 ? Matrices.gaussian(rnd, a, 0.5) : null;
    double[] u = Matrices.gaussian(rnd, a, 2);
    DMatrixRMaj Hm = toMatrix(H, d);
    DMatrixRMaj Wm = toMatrix(W, a);
    assertClose(
        PoolingReference.scores(H, W, b, u), PoolingOps.scores(Hm, Wm, b, u), REL_TOL, "scores");
    assertClose(
        PoolingReference.weights(H, W, b, u), PoolingOps.weights(Hm, Wm, b, u), REL_TOL, "weights");
    double[] expected = PoolingReference.pool(H, d, W, b, u);
    assertClose(expected, PoolingOps.pool(Hm, Wm, b, u), REL_TOL, "pool");

    // rows cut at random points, pooled separately, merged in a random order
    List<PartialAttention> parts = new ArrayList<>();
    int from = 0;
    while (from < n) {
      int to = Math.min(n, from + 1 + rnd.nextInt(Math.max(1, n / 3)));
      parts.add(PoolingOps.partial(toMatrix(rows(H, from, to), d), Wm, b, u));
      from = to;
    }
    parts.add(PoolingOps.partial(new DMatrixRMaj(0, d), Wm, b, u)); // an empty split
    Collections.shuffle(parts, rnd);
    PartialAttention merged = PartialAttention.empty(1, d);
    for (PartialAttention p : parts) {
      merged.mergeFrom(p);
    }
    assertClose(expected, merged.output().data, REL_TOL, "merged pooling");
  }

  @Test
  void poolingKnownAnswer() {
    // W = [1], u = [2 ln 3], h = [0] and [atanh(1/2)] = [ln(3)/2]:
    // scores tanh(0)·2ln3 = 0 and (1/2)·2ln3 = ln 3, α = (1/4, 3/4),
    // s = 3/4 · ln(3)/2 = 3 ln(3) / 8 = 0.41197960825054...
    DMatrixRMaj H = toMatrix(new double[][] {{0}, {Math.log(3) / 2}});
    DMatrixRMaj W = toMatrix(new double[][] {{1}});
    double[] u = {2 * Math.log(3)};
    assertClose(new double[] {0.25, 0.75}, PoolingOps.weights(H, W, null, u), 1e-14, "α");
    assertClose(new double[] {3 * Math.log(3) / 8}, PoolingOps.pool(H, W, null, u), 1e-14, "s");
    // no rows pool to zeros
    assertArrayEquals(new double[1], PoolingOps.pool(new DMatrixRMaj(0, 1), W, null, u));
  }

  @Test
  void pyramidKnownAnswers() {
    // n = 1: [a] -> [a, 0]
    assertArrayEquals(new double[] {1, 0}, PyramidOps.reduce(col(1)).data);
    // n = 2: [a; b] -> [a, b]
    assertArrayEquals(new double[] {1, 2}, PyramidOps.reduce(col(1, 2)).data);
    // n = 3: [a; b; c] -> [a, b; c, 0]
    DMatrixRMaj three = PyramidOps.reduce(col(1, 2, 3));
    assertEquals(2, three.numRows);
    assertEquals(2, three.numCols);
    assertArrayEquals(new double[] {1, 2, 3, 0}, three.data);
    // n = 5, width 2: rows (1,10) (2,20) ... -> [1,10,2,20; 3,30,4,40; 5,50,0,0]
    DMatrixRMaj X = toMatrix(new double[][] {{1, 10}, {2, 20}, {3, 30}, {4, 40}, {5, 50}});
    DMatrixRMaj one = PyramidOps.reduce(X);
    assertEquals(3, one.numRows);
    assertArrayEquals(new double[] {1, 10, 2, 20, 3, 30, 4, 40, 5, 50, 0, 0}, one.data);
    // two levels: 3 rows of 4 -> [row0, row1; row2, 0] = 2 rows of 8
    DMatrixRMaj two = PyramidOps.reduce(X, 2);
    assertEquals(2, two.numRows);
    assertEquals(8, two.numCols);
    assertArrayEquals(new double[] {1, 10, 2, 20, 3, 30, 4, 40, 5, 50, 0, 0, 0, 0, 0, 0}, two.data);
    // three levels: 1 row of 16
    DMatrixRMaj three3 = PyramidOps.reduce(X, 3);
    assertEquals(1, three3.numRows);
    assertEquals(16, three3.numCols);
    // zero levels: an equal copy
    DMatrixRMaj zero = PyramidOps.reduce(X, 0);
    assertArrayEquals(X.data, zero.data);
    zero.set(0, 0, -1);
    assertEquals(1, X.get(0, 0));
    assertEquals(0, PyramidOps.reducedLength(0));
    assertEquals(3, PyramidOps.reducedLength(5));
  }

  @ParameterizedTest(name = "n={0}")
  @ValueSource(ints = {0, 1, 2, 3, 5, 8, 257})
  void pyramidMatchesReferenceOverLevels(int n) {
    Random rnd = new Random(n);
    int d = 3;
    double[][] X = Matrices.gaussian(rnd, n, d, 1);
    DMatrixRMaj Y = toMatrix(X, d);
    for (int level = 1; level <= 4; level++) {
      X = PoolingReference.pyramid(X, d);
      d *= 2;
      Y = PyramidOps.reduce(Y);
      assertClose(X, Y, 0, "level " + level);
      assertEquals(d, Y.numCols);
      assertArrayEquals(
          Y.data,
          PyramidOps.reduce(toMatrix(Matrices.gaussian(new Random(n), n, 3, 1), 3), level).data);
    }
  }

  @Test
  void poolingStateFromGivenScoresMatchesReferenceAndRefusesAMismatch() {
    Random rnd = new Random(11);
    int n = 9;
    int d = 4;
    double[][] H = Matrices.gaussian(rnd, n, d, 1);
    double[][] W = Matrices.gaussian(rnd, d, 3, 1);
    double[] b = Matrices.gaussian(rnd, 3, 0.5);
    double[] u = Matrices.gaussian(rnd, 3, 2);
    double[] scores = PoolingReference.scores(H, W, b, u);
    PartialAttention p = PoolingOps.partial(toMatrix(H, d), scores);
    assertClose(PoolingReference.pool(H, d, W, b, u), p.output().data, REL_TOL, "pool");
    // α_i = exp(s_i − m) / l from the state's max and normaliser
    double[] alpha = PoolingReference.weights(H, W, b, u);
    for (int i = 0; i < n; i++) {
      assertEquals(alpha[i], Math.exp(scores[i] - p.max(0)) / p.sum(0), REL_TOL * alpha[i]);
    }
    IllegalArgumentException e =
        org.junit.jupiter.api.Assertions.assertThrows(
            IllegalArgumentException.class,
            () -> PoolingOps.partial(toMatrix(H, d), new double[n - 1]));
    assertEquals("H is 9×4 but there are 8 scores", e.getMessage());
  }

  private static DMatrixRMaj col(double... v) {
    DMatrixRMaj M = new DMatrixRMaj(v.length, 1);
    System.arraycopy(v, 0, M.data, 0, v.length);
    return M;
  }
}
