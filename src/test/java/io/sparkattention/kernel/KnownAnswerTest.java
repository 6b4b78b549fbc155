package io.sparkattention.kernel;

import static io.sparkattention.fixtures.Matrices.toMatrix;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import org.ejml.data.DMatrixRMaj;
import org.junit.jupiter.api.Test;

/** Cases small enough to work out by hand; each comment shows the arithmetic. */
class KnownAnswerTest {
  private static final double LN3 = Math.log(3);

  // d = 4, so the scale is 1/sqrt(4) = 1/2. q = (1,0,0,0), k1 = 0, k2 = (2 ln 3, 0, 0, 0):
  // s1 = 0, s2 = 1 · 2ln3 / 2 = ln 3; softmax = (1, 3) / 4 = (1/4, 3/4).
  private static final DMatrixRMaj Q = toMatrix(new double[][] {{1, 0, 0, 0}});
  private static final DMatrixRMaj K = toMatrix(new double[][] {{0, 0, 0, 0}, {2 * LN3, 0, 0, 0}});
  private static final DMatrixRMaj V = toMatrix(new double[][] {{4, 0}, {0, 8}});

  @Test
  void oneQueryTwoKeys() {
    // out = 1/4 · (4, 0) + 3/4 · (0, 8) = (1, 6)
    DMatrixRMaj out = AttentionOps.attention(Q, K, V);
    assertArrayEquals(new double[] {1, 6}, out.data, 1e-14);
    // log-sum-exp = log(e^0 + e^ln3) = ln 4
    assertEquals(Math.log(4), AttentionOps.partial(Q, 0, K, V, 0, Mask.none()).logSumExp(0), 1e-14);
    assertArrayEquals(
        new double[] {0.25, 0.75}, AttentionOps.weights(Q, 0, K, 0, Mask.none()).data, 1e-15);
  }

  @Test
  void mergeOfTheTwoKeysByHand() {
    // key 1 alone: m = 0, l = 1, a = (4, 0); key 2 alone: m = ln 3, l = 1, a = (0, 8).
    PartialAttention a = AttentionOps.partial(Q, 0, rowsOf(K, 0), rowsOf(V, 0), 0, Mask.none());
    PartialAttention b = AttentionOps.partial(Q, 0, rowsOf(K, 1), rowsOf(V, 1), 1, Mask.none());
    assertEquals(0, a.max(0), 0);
    assertEquals(LN3, b.max(0), 1e-15);
    // merged: m = ln 3, l = 1·e^{-ln3} + 1 = 4/3, a = (4/3, 8), output = a / l = (1, 6)
    PartialAttention ab = a.merge(b);
    assertEquals(LN3, ab.max(0), 1e-15);
    assertEquals(4.0 / 3, ab.sum(0), 1e-15);
    assertArrayEquals(new double[] {4.0 / 3, 8}, ab.weightedValues().data, 1e-14);
    assertArrayEquals(new double[] {1, 6}, ab.output().data, 1e-14);
  }

  @Test
  void hardTakesTheHigherScore() {
    // s2 = ln 3 > s1 = 0: v2 = (0, 8)
    assertArrayEquals(new double[] {0, 8}, AttentionOps.hard(Q, K, V, Mask.none()).data);
    // causal from query position 0: only key 0 is allowed: v1 = (4, 0)
    assertArrayEquals(new double[] {4, 0}, AttentionOps.hard(Q, K, V, Mask.causal()).data);
  }

  @Test
  void causalWithEqualScores() {
    // all scores 0. Query 0 sees key 0 only: v0 = (2, 0). Query 1 sees keys 0 and 1 equally:
    // (v0 + v1)/2 = (1, 3). Query 2 sees all three: (2+0+4, 0+6+3)/3 = (2, 3).
    DMatrixRMaj Z = new DMatrixRMaj(3, 2);
    DMatrixRMaj Vc = toMatrix(new double[][] {{2, 0}, {0, 6}, {4, 3}});
    DMatrixRMaj out = AttentionOps.attention(Z, Z, Vc, Mask.causal());
    assertArrayEquals(new double[] {2, 0, 1, 3, 2, 3}, out.data, 1e-15);
  }

  @Test
  void windowZeroAttendsToItself() {
    // |q - k| <= 0: each query sees only its own key, weight exactly 1: out = V bit for bit
    DMatrixRMaj X = toMatrix(new double[][] {{1, 2}, {3, -4}, {0.5, 7}});
    DMatrixRMaj Vw = toMatrix(new double[][] {{0.1, 0.2}, {0.3, 0.4}, {0.5, 0.6}});
    assertArrayEquals(Vw.data, AttentionOps.attention(X, X, Vw, Mask.window(0)).data, 0);
    assertArrayEquals(Vw.data, AttentionOps.attention(X, X, Vw, Mask.causalWindow(0)).data, 0);
  }

  @Test
  void localPByHand() {
    // D = 1, σ = 1/2, centre 1.0, keys 0, 1, 2, all scores 0: align = 1/3 each;
    // gauss(s) = exp(-(s-1)²/(2·1/4)) = e^{-2}, 1, e^{-2};
    // out = (v0 e^{-2} + v1 + v2 e^{-2}) / 3 with v = 3, 6, 9: (3e^{-2} + 6 + 9e^{-2})/3 = 2 +
    // 4e^{-2}
    DMatrixRMaj q = new DMatrixRMaj(1, 2);
    DMatrixRMaj k = new DMatrixRMaj(3, 2);
    DMatrixRMaj v = toMatrix(new double[][] {{3}, {6}, {9}});
    DMatrixRMaj out = AttentionOps.localP(q, k, v, new double[] {1.0}, 1);
    assertEquals(2 + 4 * Math.exp(-2), out.get(0, 0), 1e-14);
    // centre 0.5, D = 1: keys 0 and 1 (|s - 0.5| <= 1), align 1/2 each,
    // gauss = exp(-0.25/0.5) = e^{-1/2} for both: out = (3 + 6)/2 · e^{-1/2}
    out = AttentionOps.localP(q, k, v, new double[] {0.5}, 1);
    assertEquals(4.5 * Math.exp(-0.5), out.get(0, 0), 1e-14);
  }

  @Test
  void multiHeadByHand() {
    // 2 heads of width 1 on X = [[1, 0], [0, 1]] with no projections, no mask, scale 1.
    // Head 0 (column 0): scores of query 0: (1, 0) -> softmax (e, 1)/(e+1); values (1, 0):
    //   out[0][0] = e/(e+1); query 1 scores (0, 0): out[1][0] = 1/2.
    // Head 1 (column 1) by symmetry: out[0][1] = 1/2, out[1][1] = e/(e+1).
    DMatrixRMaj X = toMatrix(new double[][] {{1, 0}, {0, 1}});
    double e = Math.E / (Math.E + 1);
    DMatrixRMaj out = MultiHeadOps.selfAttention(X, AttentionWeights.none(), 2, Mask.none());
    assertArrayEquals(new double[] {e, 0.5, 0.5, e}, out.data, 1e-15);
  }

  private static DMatrixRMaj rowsOf(DMatrixRMaj M, int row) {
    DMatrixRMaj r = new DMatrixRMaj(1, M.numCols);
    System.arraycopy(M.data, row * M.numCols, r.data, 0, M.numCols);
    return r;
  }
}
