package io.sparkattention.kernel;

import static io.sparkattention.fixtures.Matrices.toArray;
import static io.sparkattention.fixtures.Matrices.toMatrix;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.sparkattention.fixtures.Allowed;
import io.sparkattention.fixtures.Fp32Bound;
import io.sparkattention.fixtures.LocalPReference;
import io.sparkattention.fixtures.Matrices;
import io.sparkattention.fixtures.RefMask;
import io.sparkattention.fixtures.SoftmaxReference;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Random;
import java.util.TreeSet;
import java.util.stream.Stream;
import org.ejml.data.DMatrixRMaj;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * {@link Precision#FP32} soft attention against the plain fp64 reference ({@link SoftmaxReference},
 * {@link LocalPReference}) on random inputs: whole and by key blocks that do not divide the length,
 * every mask kind, packed segments, local-p, blocks merged in any order. Each output element must
 * be within the bound of {@link Fp32Bound} (derived in its Javadoc): {@code (e^{2E_i} − 1 + 3u +
 * γ_nk) · max|v|}, {@code E_i = γ_{d+2} |q_i| max_j|k_j| / √d}, u = 2⁻²⁴. Inputs are Gaussian with
 * standard deviation 1.5 (queries, keys) and 1 (values), so the scores stay O(1)–O(10) and the
 * bound stays small. A second group shows the bound is not vacuous (fp32 really differs from fp64,
 * by more than double rounding could) and that fp64 is unchanged.
 */
class Fp32KernelTest {
  private static final int[] DIMS = {3, 8, 16, 64};

  static Stream<Arguments> blockedCases() {
    List<Arguments> cases = new ArrayList<>();
    int[][] lengthsAndBlocks = {{1, 1}, {7, 3}, {64, 3}, {257, 64}, {257, 100}, {1000, 128}};
    int i = 0;
    for (int[] lb : lengthsAndBlocks) {
      List<RefMask> masks = new ArrayList<>(List.of(RefMask.allMasks()));
      masks.add(segmented(RefMask.causal(), lb[0], 1));
      masks.add(segmented(RefMask.window(3), lb[0], 2));
      masks.add(segmented(RefMask.none(), lb[0], 3));
      for (RefMask mask : masks) {
        if (lb[0] == 1000 && i++ % 4 != 0) {
          continue; // 1000 with a few masks, to keep the suite fast
        }
        cases.add(Arguments.of(lb[0], lb[1], DIMS[(lb[0] + lb[1] + i) % DIMS.length], mask));
      }
    }
    return cases.stream();
  }

  /** {@code base} within random packed segments of a {@code n}-token sequence. */
  static RefMask segmented(RefMask base, int n, long seed) {
    Random rnd = new Random(seed * 31 + n);
    TreeSet<Long> s = new TreeSet<>();
    s.add(0L);
    for (int c = rnd.nextInt(Math.max(1, n / 3) + 1); c > 0; c--) {
      s.add((long) rnd.nextInt(n));
    }
    long[] starts = s.stream().mapToLong(Long::longValue).toArray();
    int[] label = new int[n];
    for (int p = 0, i = 0; p < n; p++) {
      while (i + 1 < starts.length && starts[i + 1] <= p) {
        i++;
      }
      label[p] = i;
    }
    Allowed allowed = (q, k) -> label[(int) q] == label[(int) k] && base.allowed.test(q, k);
    return new RefMask(
        base.name + "+segments(" + starts.length + ")", base.kernel.withSegments(starts), allowed);
  }

  /**
   * Query blocks of 37 rows (offsets not multiples of the key block) each fold every key block in
   * order with one reused fp32 workspace: every element within the bound of the reference.
   */
  @ParameterizedTest(name = "len={0} keyBlock={1} d={2} {3}")
  @MethodSource("blockedCases")
  void blockedFp32WithinBound(int len, int blockSize, int d, RefMask mask) {
    int dv = 1 + d % 5;
    Random rnd = new Random(len * 7L + blockSize + d);
    double[][] Q = Matrices.gaussian(rnd, len, d, 1.5);
    double[][] K = Matrices.gaussian(rnd, len, d, 1.5);
    double[][] V = Matrices.gaussian(rnd, len, dv, 1.0);
    double[][] expected = SoftmaxReference.attention(Q, 0, K, V, 0, dv, mask.allowed);
    DMatrixRMaj out = new DMatrixRMaj(len, dv);
    AttentionWorkspace ws = new AttentionWorkspace(Precision.FP32);
    for (int q0 = 0; q0 < len; q0 += 37) {
      int q1 = Math.min(len, q0 + 37);
      DMatrixRMaj Qb = toMatrix(Matrices.rows(Q, q0, q1), d);
      PartialAttention state = PartialAttention.empty(q1 - q0, dv);
      for (int k0 = 0; k0 < len; k0 += blockSize) {
        int k1 = Math.min(len, k0 + blockSize);
        if (!mask.kernel.anyAllowed(q0, q1 - 1, k0, k1 - 1)) {
          continue;
        }
        AttentionOps.accumulate(
            state,
            Qb,
            q0,
            toMatrix(Matrices.rows(K, k0, k1), d),
            toMatrix(Matrices.rows(V, k0, k1), dv),
            k0,
            mask.kernel,
            ws);
      }
      state.output(out, q0);
    }
    assertWithin(expected, toArray(out), Fp32Bound.rowBounds(Q, K, V, 1 / Math.sqrt(d), blockSize));
  }

  /**
   * One fp32 partial state per key block, merged (in double) in a shuffled order: within the bound,
   * for a query block at an odd offset.
   */
  @ParameterizedTest(name = "len={0} keyBlock={1} d={2} {3}")
  @MethodSource("blockedCases")
  void fp32PartialsMergedWithinBound(int len, int blockSize, int d, RefMask mask) {
    int dv = 2;
    Random rnd = new Random(len * 11L + blockSize + d);
    double[][] X = Matrices.gaussian(rnd, len, d, 1.5);
    double[][] V = Matrices.gaussian(rnd, len, dv, 1.0);
    int q0 = len / 3;
    int q1 = Math.min(len, q0 + 41);
    double[][] Qb = Matrices.rows(X, q0, q1);
    double[][] expected = SoftmaxReference.attention(Qb, q0, X, V, 0, dv, mask.allowed);
    List<PartialAttention> parts = new ArrayList<>();
    for (int k0 = 0; k0 < len; k0 += blockSize) {
      int k1 = Math.min(len, k0 + blockSize);
      PartialAttention p = PartialAttention.empty(q1 - q0, dv);
      AttentionOps.accumulate(
          p,
          toMatrix(Qb, d),
          q0,
          toMatrix(Matrices.rows(X, k0, k1), d),
          toMatrix(Matrices.rows(V, k0, k1), dv),
          k0,
          mask.kernel,
          ScoreRule.standard(),
          new AttentionWorkspace(Precision.FP32));
      parts.add(p);
    }
    Collections.shuffle(parts, new Random(len));
    PartialAttention merged = parts.get(0);
    for (int i = 1; i < parts.size(); i++) {
      merged = merged.merge(parts.get(i));
    }
    assertWithin(
        expected,
        toArray(merged.output()),
        Fp32Bound.rowBounds(Qb, X, V, 1 / Math.sqrt(d), blockSize));
  }

  /** Local-p (its Gaussian weights the fp32 products' output) within the same bound. */
  @ParameterizedTest(name = "m={0} n={1} D={2}")
  @MethodSource("localPCases")
  void localPFp32WithinBound(int m, int n, int D, int keyBlock) {
    int d = 8;
    int dv = 3;
    Random rnd = new Random(m * 13L + n + D);
    double[][] Q = Matrices.gaussian(rnd, m, d, 1.5);
    double[][] K = Matrices.gaussian(rnd, n, d, 1.5);
    double[][] V = Matrices.gaussian(rnd, n, dv, 1.0);
    double[] centres = new double[m];
    for (int i = 0; i < m; i++) {
      centres[i] = rnd.nextDouble() * (n - 1);
    }
    double[][] expected = LocalPReference.localP(Q, K, V, dv, centres, D);
    PartialAttention state = PartialAttention.empty(m, dv);
    AttentionWorkspace ws = new AttentionWorkspace(Precision.FP32);
    for (int k0 = 0; k0 < n; k0 += keyBlock) {
      int k1 = Math.min(n, k0 + keyBlock);
      AttentionOps.accumulateLocalP(
          state,
          toMatrix(Q, d),
          centres,
          toMatrix(Matrices.rows(K, k0, k1), d),
          toMatrix(Matrices.rows(V, k0, k1), dv),
          k0,
          D,
          ws);
    }
    assertWithin(
        expected,
        toArray(state.output()),
        Fp32Bound.rowBounds(Q, K, V, 1 / Math.sqrt(d), keyBlock));
  }

  static Stream<Arguments> localPCases() {
    return Stream.of(
        Arguments.of(1, 1, 1, 1),
        Arguments.of(17, 40, 3, 7),
        Arguments.of(64, 257, 10, 64),
        Arguments.of(200, 300, 50, 1000));
  }

  /**
   * The bound is not vacuous: at n = 1,024, d = 64 (key blocks of 256) fp32 differs from fp64 by
   * more than double rounding could (above u/100 of max|v|, where fp64 is within 1e-12) and stays
   * within the bound; fp64 computed with an explicit {@link Precision#FP64} workspace has exactly
   * the bits of the default one (the path every caller took before precisions existed).
   */
  @Test
  void fp32DiffersFromFp64ButWithinBoundAndFp64IsUnchanged() {
    int n = 1024;
    int d = 64;
    int dv = 64;
    Random rnd = new Random(2024);
    double[][] Q = Matrices.gaussian(rnd, n, d, 1.5);
    double[][] K = Matrices.gaussian(rnd, n, d, 1.5);
    double[][] V = Matrices.gaussian(rnd, n, dv, 1.0);
    double[][] expected = SoftmaxReference.attention(Q, 0, K, V, 0, dv, Allowed.causal());
    double[][] fp64 = blocked(Q, K, V, 256, new AttentionWorkspace());
    double[][] fp64Explicit = blocked(Q, K, V, 256, new AttentionWorkspace(Precision.FP64));
    double[][] fp32 = blocked(Q, K, V, 256, new AttentionWorkspace(Precision.FP32));
    for (int i = 0; i < n; i++) {
      assertArrayEquals(fp64[i], fp64Explicit[i], "fp64 bits, row " + i);
    }
    double maxV = 0;
    for (double[] v : V) {
      for (double x : v) {
        maxV = Math.max(maxV, Math.abs(x));
      }
    }
    assertTrue(Fp32Bound.maxAbsDiff(expected, fp64) < 1e-12 * maxV, "fp64 against the reference");
    double fp32Error = Fp32Bound.maxAbsDiff(expected, fp32);
    assertTrue(
        fp32Error > Fp32Bound.U * maxV / 100,
        "fp32 should differ from fp64 by float rounding, max error " + fp32Error);
    assertWithin(expected, fp32, Fp32Bound.rowBounds(Q, K, V, 1 / Math.sqrt(d), 256));
  }

  /** The same inputs give the same fp32 bits with a fresh or a reused workspace, run twice. */
  @Test
  void fp32IsRepeatable() {
    Random rnd = new Random(5);
    double[][] Q = Matrices.gaussian(rnd, 300, 16, 1.5);
    double[][] K = Matrices.gaussian(rnd, 300, 16, 1.5);
    double[][] V = Matrices.gaussian(rnd, 300, 5, 1.0);
    AttentionWorkspace reused = new AttentionWorkspace(Precision.FP32);
    blocked(Matrices.rows(Q, 0, 7), K, V, 33, reused); // other shapes first
    double[][] a = blocked(Q, K, V, 100, reused);
    double[][] b = blocked(Q, K, V, 100, new AttentionWorkspace(Precision.FP32));
    for (int i = 0; i < a.length; i++) {
      assertArrayEquals(a[i], b[i], "row " + i);
    }
  }

  @Test
  void fp32RefusesInputsBeyondFloatRange() {
    DMatrixRMaj Q = new DMatrixRMaj(new double[][] {{1e30, 1}});
    DMatrixRMaj K = new DMatrixRMaj(new double[][] {{1e20, 1}});
    DMatrixRMaj V = new DMatrixRMaj(new double[][] {{1, 2}});
    PartialAttention state = PartialAttention.empty(1, 2);
    IllegalArgumentException e =
        assertThrows(
            IllegalArgumentException.class,
            () ->
                AttentionOps.accumulate(
                    state, Q, 0, K, V, 0, Mask.none(), new AttentionWorkspace(Precision.FP32)));
    assertTrue(e.getMessage().contains("fp32") && e.getMessage().contains("fp64"), e.getMessage());
    // fp64 takes them (the score is large but finite)
    AttentionOps.accumulate(state, Q, 0, K, V, 0, Mask.none(), new AttentionWorkspace());
    assertEquals(1.0, state.output().get(0, 0));
  }

  @Test
  void precisionNamesAndErrors() {
    assertEquals(Precision.FP32, Precision.of("fp32"));
    assertEquals(Precision.FP64, Precision.of("FP64"));
    assertEquals("fp32", Precision.FP32.optionValue());
    assertEquals(4, Precision.FP32.bytesPerValue());
    assertEquals(8, Precision.FP64.bytesPerValue());
    IllegalArgumentException e =
        assertThrows(IllegalArgumentException.class, () -> Precision.of("bf16"));
    assertTrue(
        e.getMessage().contains("bf16")
            && e.getMessage().contains("fp64")
            && e.getMessage().contains("fp32"),
        e.getMessage());
    assertEquals(Precision.FP64, new AttentionWorkspace().precision());
  }

  /** Causal attention of all rows over key blocks of {@code keyBlock}, in order, one state. */
  private static double[][] blocked(
      double[][] Q, double[][] K, double[][] V, int keyBlock, AttentionWorkspace ws) {
    int d = Q[0].length;
    int dv = V[0].length;
    PartialAttention state = PartialAttention.empty(Q.length, dv);
    DMatrixRMaj Qm = toMatrix(Q, d);
    for (int k0 = 0; k0 < K.length; k0 += keyBlock) {
      int k1 = Math.min(K.length, k0 + keyBlock);
      AttentionOps.accumulate(
          state,
          Qm,
          0,
          toMatrix(Matrices.rows(K, k0, k1), d),
          toMatrix(Matrices.rows(V, k0, k1), dv),
          k0,
          Mask.causal(),
          ws);
    }
    return toArray(state.output());
  }

  private static void assertWithin(double[][] expected, double[][] actual, double[] rowBounds) {
    double worst = Fp32Bound.worstFraction(expected, actual, rowBounds);
    assertTrue(worst >= 0 && worst <= 1, "fp32 error / bound = " + worst + " (must be ≤ 1)");
  }
}
