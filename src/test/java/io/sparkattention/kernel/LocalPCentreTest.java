package io.sparkattention.kernel;

import static io.sparkattention.fixtures.Matrices.toMatrix;
import static io.sparkattention.kernel.KernelAssert.REL_TOL;
import static io.sparkattention.kernel.KernelAssert.assertClose;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.sparkattention.fixtures.LocalPReference;
import io.sparkattention.fixtures.Matrices;
import java.util.Random;
import org.ejml.data.DMatrixRMaj;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * The per-token local-p centre the distributed job routes by ({@link
 * AttentionWeights#localPCentre}, {@link LocalPOps#centre}), the local-p weights in {@link
 * AttentionWeights}, and the effective local-p weights for attention maps ({@link
 * AttentionOps#localPWeights}), against the reference.
 */
class LocalPCentreTest {

  /** h_t = x_t·wq + bq (x_t without wq), then p_t = n·sigmoid(vp·tanh(h_t·wp)). */
  @ParameterizedTest(name = "n={0} d={1} dq={2} a={3} projected={4}")
  @CsvSource({"1, 3, 3, 1, false", "9, 4, 4, 2, false", "40, 6, 4, 5, true", "257, 8, 12, 3, true"})
  void centreOfOneTokenMatchesReference(int n, int d, int dq, int a, boolean projected) {
    Random rnd = new Random(n * 31L + d);
    double[][] X = Matrices.gaussian(rnd, n, d, 1);
    double[][] wq = projected ? Matrices.gaussian(rnd, d, dq, 0.5) : null;
    double[] bq = projected ? Matrices.gaussian(rnd, dq, 0.5) : null;
    int hw = projected ? dq : d;
    double[][] wp = Matrices.gaussian(rnd, hw, a, 1);
    double[] vp = Matrices.gaussian(rnd, a, 2);
    AttentionWeights w =
        AttentionWeights.builder()
            .query(Matrices.toMatrixOrNull(wq), bq)
            .localP(toMatrix(wp), vp)
            .build();
    assertTrue(w.hasLocalP());
    assertTrue(w.isNone() == !projected, "wp and vp project nothing");
    double[][] H = Matrices.project(X, d, wq, bq);
    double[] expected = LocalPReference.centres(H, wp, vp, n);
    double[] got = new double[n];
    for (int t = 0; t < n; t++) {
      got[t] = w.localPCentre(X[t], n);
      assertTrue(got[t] >= 0 && got[t] <= n, "centre " + got[t] + " outside [0, " + n + "]");
      // both kernel versions, the plain-loop one and the matrix one, give the reference's centre
      double[] want = {expected[t]};
      assertClose(
          want, new double[] {LocalPOps.centre(H[t], toMatrix(wp), vp, n)}, 1e-12, "centre");
      assertClose(
          want, LocalPOps.centres(toMatrix(new double[][] {H[t]}), toMatrix(wp), vp, n), 1e-12, "");
    }
    assertClose(expected, got, REL_TOL, "centres");
  }

  @Test
  void centreIsAPureFunctionOfTheToken() {
    // The same x gives the same bits whatever else is computed around it.
    Random rnd = new Random(5);
    DMatrixRMaj wp = toMatrix(Matrices.gaussian(rnd, 4, 3, 1));
    double[] vp = Matrices.gaussian(rnd, 3, 1);
    AttentionWeights w = AttentionWeights.builder().localP(wp, vp).build();
    double[] x = Matrices.gaussian(rnd, 4, 1);
    double first = w.localPCentre(x, 1000);
    for (int i = 0; i < 5; i++) {
      w.localPCentre(Matrices.gaussian(rnd, 4, 1), 1000);
      assertEquals(
          Double.doubleToRawLongBits(first), Double.doubleToRawLongBits(w.localPCentre(x, 1000)));
    }
  }

  @Test
  void badLocalPWeightsAreRefusedWithTheirShapes() {
    DMatrixRMaj wp = new DMatrixRMaj(4, 3);
    assertMessage(
        () -> AttentionWeights.builder().localP(wp, null).build(), "wp is given without vp");
    assertMessage(
        () -> AttentionWeights.builder().localP(null, new double[3]).build(),
        "vp is given without wp");
    assertMessage(
        () -> AttentionWeights.builder().localP(wp, new double[2]).build(),
        "vp has 2 entries but wp is 4×3 (need 3)");
    DMatrixRMaj nan = new DMatrixRMaj(4, 3);
    nan.set(1, 2, Double.NaN);
    assertMessage(
        () -> AttentionWeights.builder().localP(nan, new double[3]).build(),
        "wp has NaN at row 1, column 2");
    AttentionWeights w = AttentionWeights.builder().localP(wp, new double[3]).build();
    w.validate(4, 4, 2);
    assertMessage(
        () -> w.validate(5, 5, 1), "wp is 4×3 but the projected query h_t is 5 wide (need 5 rows)");
    // with wq the centre is computed from the projected query, so wp follows wq's columns
    AttentionWeights projected =
        AttentionWeights.builder()
            .query(new DMatrixRMaj(6, 4), null)
            .localP(wp, new double[3])
            .build();
    projected.validate(6, 4, 1);
    assertFalse(AttentionWeights.none().hasLocalP());
    assertThrows(
        IllegalStateException.class,
        () -> AttentionWeights.none().localPCentre(new double[] {1}, 3));
  }

  /** Each row of the weights is the reference's align · gauss, and the output the reference's. */
  @ParameterizedTest(name = "m={0} n={1} D={2}")
  @CsvSource({"1, 1, 1", "5, 9, 2", "30, 30, 4", "17, 64, 40"})
  void localPWeightsAreAlignmentTimesGaussian(int m, int n, int D) {
    Random rnd = new Random(m * 7L + n + D);
    int d = 4;
    double[][] Q = Matrices.gaussian(rnd, m, d, 1);
    double[][] K = Matrices.gaussian(rnd, n, d, 1);
    double[][] V = Matrices.gaussian(rnd, n, 3, 1);
    double[] c = new double[m];
    for (int i = 0; i < m; i++) {
      c[i] = i == 0 ? 0 : i == 1 ? n : rnd.nextDouble() * n; // both ends, then anywhere
    }
    DMatrixRMaj W = AttentionOps.localPWeights(toMatrix(Q, d), c, toMatrix(K, d), D);
    // reference: one-hot values pick out each key's coefficient
    double[][] expected = new double[m][n];
    for (int s = 0; s < n; s++) {
      double[][] onehot = new double[n][1];
      onehot[s][0] = 1;
      double[][] col = LocalPReference.localP(Q, K, onehot, 1, c, D);
      for (int i = 0; i < m; i++) {
        expected[i][s] = col[i][0];
      }
    }
    assertClose(expected, W, REL_TOL, "local-p weights");
    for (int i = 0; i < m; i++) {
      double sum = 0;
      for (int s = 0; s < n; s++) {
        double wgt = W.get(i, s);
        if (Math.abs(s - c[i]) > D) {
          assertEquals(0.0, wgt, 0.0, "outside the window");
        }
        sum += wgt;
      }
      assertTrue(sum > 0 && sum <= 1 + 1e-12, "row " + i + " sums to " + sum);
    }
    assertClose(
        LocalPReference.localP(Q, K, V, 3, c, D),
        AttentionOps.localP(toMatrix(Q, d), toMatrix(K, d), toMatrix(V, 3), c, D),
        REL_TOL,
        "local-p output");
  }

  private static void assertMessage(Runnable r, String expected) {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, r::run);
    assertTrue(e.getMessage().contains(expected), "'" + expected + "' not in: " + e.getMessage());
  }
}
