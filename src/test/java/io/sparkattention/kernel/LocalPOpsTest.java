package io.sparkattention.kernel;

import static io.sparkattention.fixtures.Matrices.rows;
import static io.sparkattention.fixtures.Matrices.toMatrix;
import static io.sparkattention.kernel.KernelAssert.REL_TOL;
import static io.sparkattention.kernel.KernelAssert.assertClose;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.sparkattention.fixtures.LocalPReference;
import io.sparkattention.fixtures.Matrices;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.stream.Stream;
import org.ejml.data.DMatrixRMaj;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Luong local-p: predicted centres ({@link LocalPOps#centres}) and the Gaussian-weighted window
 * attention ({@link AttentionOps#localP}), whole and by key blocks, against the reference.
 */
class LocalPOpsTest {
  private static final int DV = 3;

  static Stream<Arguments> cases() {
    List<Arguments> cases = new ArrayList<>();
    int[][] lengths = {{1, 1}, {2, 7}, {7, 2}, {64, 64}, {100, 257}, {257, 64}};
    int[] halfWidths = {1, 2, 3, 8, 50};
    int i = 0;
    for (int[] mn : lengths) {
      for (int D : halfWidths) {
        cases.add(Arguments.of(mn[0], mn[1], new int[] {1, 3, 8, 16}[i++ % 4], D));
      }
    }
    return cases.stream();
  }

  /** Centres from {@link LocalPOps#centres} (checked against the reference), then attention. */
  @ParameterizedTest(name = "m={0} n={1} d={2} D={3}")
  @MethodSource("cases")
  void localPWithPredictedCentresMatchesReference(int m, int n, int d, int D) {
    Random rnd = new Random(m * 1000L + n * 10L + D);
    double[][] Q = Matrices.gaussian(rnd, m, d, 1);
    double[][] K = Matrices.gaussian(rnd, n, d, 1);
    double[][] V = Matrices.gaussian(rnd, n, DV, 1);
    double[][] Wp = Matrices.gaussian(rnd, d, 5, 1);
    double[] vp = Matrices.gaussian(rnd, 5, 1.5);
    double[] centres = LocalPOps.centres(toMatrix(Q, d), toMatrix(Wp, 5), vp, n);
    assertClose(LocalPReference.centres(Q, Wp, vp, n), centres, REL_TOL, "centres");
    for (double c : centres) {
      assertTrue(c >= 0 && c <= n, "centre " + c + " outside [0, " + n + "]");
    }
    DMatrixRMaj out =
        AttentionOps.localP(toMatrix(Q, d), toMatrix(K, d), toMatrix(V, DV), centres, D);
    double[][] expected = LocalPReference.localP(Q, K, V, DV, centres, D);
    assertClose(expected, out, REL_TOL, "local-p D=" + D);

    // the same by key blocks of 3 (does not divide 64, 257, 7, 2 or 1), in reverse order
    PartialAttention state = PartialAttention.empty(m, DV);
    AttentionWorkspace ws = new AttentionWorkspace();
    for (int k0 = (n - 1) / 3 * 3; k0 >= 0; k0 -= 3) {
      int k1 = Math.min(n, k0 + 3);
      AttentionOps.accumulateLocalP(
          state,
          toMatrix(Q, d),
          centres,
          toMatrix(rows(K, k0, k1), d),
          toMatrix(rows(V, k0, k1), DV),
          k0,
          D,
          ws);
    }
    assertClose(expected, state.output(), REL_TOL, "blocked local-p D=" + D);
  }

  /** Integer centres c_i = i: local-m with a Gaussian; also centres at and beyond the ends. */
  @Test
  void integerAndEdgeCentres() {
    Random rnd = new Random(11);
    int n = 20;
    double[][] Q = Matrices.gaussian(rnd, 24, 4, 1);
    double[][] K = Matrices.gaussian(rnd, n, 4, 1);
    double[][] V = Matrices.gaussian(rnd, n, DV, 1);
    double[] centres = new double[24];
    for (int i = 0; i < 20; i++) {
      centres[i] = i;
    }
    centres[20] = 0;
    centres[21] = n;
    centres[22] = n + 5; // window [n+3, n+7] holds no key: zeros
    centres[23] = -2.5;
    for (int D : new int[] {1, 2, 4}) {
      DMatrixRMaj out =
          AttentionOps.localP(toMatrix(Q, 4), toMatrix(K, 4), toMatrix(V, DV), centres, D);
      assertClose(LocalPReference.localP(Q, K, V, DV, centres, D), out, REL_TOL, "local-p D=" + D);
    }
  }

  @Test
  void zeroHiddenStateCentresAtHalfTheSource() {
    // z = v_p · tanh(0) = 0, sigmoid(0) = 1/2: p = S/2
    double[] c =
        LocalPOps.centres(
            new DMatrixRMaj(3, 2), toMatrix(new double[][] {{1}, {2}}), new double[] {4}, 9);
    assertClose(new double[] {4.5, 4.5, 4.5}, c, 0, "centres");
  }
}
