package io.sparkattention.kernel;

import static io.sparkattention.fixtures.Matrices.rows;
import static io.sparkattention.fixtures.Matrices.toMatrix;
import static io.sparkattention.kernel.KernelAssert.REL_TOL;
import static io.sparkattention.kernel.KernelAssert.assertClose;
import static io.sparkattention.kernel.KernelAssert.assertFinite;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

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
import org.junit.jupiter.params.provider.ValueSource;

/**
 * What is particular to the soft state: split-then-merge against the reference's log-sum-exp, the
 * block update equal to merging the block's partial, round trips through its parts and Java
 * serialization, fully masked rows and huge scores. The algebra every mergeable state shares
 * (identity, commutativity, associativity, split-then-merge) is {@link MergeableStateContractTest}.
 */
class PartialAttentionMergeTest {
  private static final int D = 4;
  private static final int DV = 3;

  /**
   * Partials of queries at {@code qPos0} over key blocks cut at {@code cuts} (sorted, in (0,n)).
   */
  private static List<PartialAttention> partials(
      double[][] Q, long qPos0, double[][] K, double[][] V, List<Integer> cuts, Mask mask) {
    List<PartialAttention> parts = new ArrayList<>();
    int from = 0;
    List<Integer> ends = new ArrayList<>(cuts);
    ends.add(K.length);
    for (int to : ends) {
      parts.add(
          AttentionOps.partial(
              toMatrix(Q, D),
              qPos0,
              toMatrix(rows(K, from, to), D),
              toMatrix(rows(V, from, to), DV),
              from,
              mask));
      from = to;
    }
    return parts;
  }

  private static List<Integer> randomCuts(Random rnd, int n, int count) {
    TreeSet<Integer> cuts = new TreeSet<>();
    for (int i = 0; i < count && n > 1; i++) {
      cuts.add(1 + rnd.nextInt(n - 1));
    }
    return new ArrayList<>(cuts);
  }

  static Stream<Arguments> seedsAndMasks() {
    List<Arguments> cases = new ArrayList<>();
    RefMask[] masks = RefMask.allMasks();
    for (int seed = 0; seed < 40; seed++) {
      cases.add(Arguments.of(seed, masks[seed % masks.length]));
    }
    return cases.stream();
  }

  @ParameterizedTest(name = "seed={0} {1}")
  @MethodSource("seedsAndMasks")
  void splitAtRandomPointsMergedInRandomOrderEqualsWhole(int seed, RefMask mask) {
    Random rnd = new Random(seed);
    int m = 1 + rnd.nextInt(30);
    int n = 1 + rnd.nextInt(120);
    long qPos0 = rnd.nextInt(100);
    double[][] Q = Matrices.gaussian(rnd, m, D, 2);
    double[][] K = Matrices.gaussian(rnd, n, D, 2);
    double[][] V = Matrices.gaussian(rnd, n, DV, 1);
    List<PartialAttention> parts =
        partials(Q, qPos0, K, V, randomCuts(rnd, n, 1 + rnd.nextInt(12)), mask.kernel);
    Collections.shuffle(parts, rnd);
    // merge as a random binary tree: repeatedly merge two random states
    while (parts.size() > 1) {
      PartialAttention a = parts.remove(rnd.nextInt(parts.size()));
      PartialAttention b = parts.remove(rnd.nextInt(parts.size()));
      parts.add(a.merge(b));
    }
    PartialAttention whole =
        AttentionOps.partial(
            toMatrix(Q, D), qPos0, toMatrix(K, D), toMatrix(V, DV), 0, mask.kernel);
    double[][] expected = SoftmaxReference.attention(Q, qPos0, K, V, 0, DV, mask.allowed);
    assertClose(expected, parts.get(0).output(), REL_TOL, "merged vs reference");
    assertClose(whole.output(), parts.get(0).output(), 1e-12, "merged vs whole");
    double[] lse = new double[m];
    for (int i = 0; i < m; i++) {
      lse[i] = parts.get(0).logSumExp(i);
    }
    assertClose(
        SoftmaxReference.logSumExp(Q, qPos0, K, 0, mask.allowed), lse, REL_TOL, "log-sum-exp");
  }

  /** Three states over disjoint keys of the same queries, some rows masked in some states. */
  private static PartialAttention[] threeStates(int seed) {
    Random rnd = new Random(seed);
    double[][] Q = Matrices.gaussian(rnd, 12, D, 3);
    double[][] K = Matrices.gaussian(rnd, 30, D, 3);
    double[][] V = Matrices.gaussian(rnd, 30, DV, 1);
    Mask mask = seed % 2 == 0 ? Mask.causalWindow(6) : Mask.none();
    List<PartialAttention> parts = partials(Q, 10, K, V, List.of(9, 17), mask);
    return parts.toArray(new PartialAttention[0]);
  }

  private static void assertBitwiseEqual(PartialAttention x, PartialAttention y, String what) {
    assertEquals(x.rows(), y.rows(), what);
    for (int i = 0; i < x.rows(); i++) {
      assertEquals(x.max(i), y.max(i), 0.0, what + ": max of row " + i);
      assertEquals(x.sum(i), y.sum(i), 0.0, what + ": sum of row " + i);
    }
    assertArrayEquals(x.weightedValues().data, y.weightedValues().data, what + ": values");
    assertArrayEquals(x.output().data, y.output().data, what + ": output");
  }

  @ParameterizedTest
  @ValueSource(ints = {0, 1, 2})
  void accumulateEqualsMergingThePartial(int seed) {
    Random rnd = new Random(seed);
    DMatrixRMaj Q = toMatrix(Matrices.gaussian(rnd, 9, D, 2), D);
    DMatrixRMaj K1 = toMatrix(Matrices.gaussian(rnd, 7, D, 2), D);
    DMatrixRMaj V1 = toMatrix(Matrices.gaussian(rnd, 7, DV, 1), DV);
    DMatrixRMaj K2 = toMatrix(Matrices.gaussian(rnd, 5, D, 2), D);
    DMatrixRMaj V2 = toMatrix(Matrices.gaussian(rnd, 5, DV, 1), DV);
    Mask mask = Mask.window(4);
    PartialAttention state = AttentionOps.partial(Q, 3, K1, V1, 0, mask);
    PartialAttention merged = state.merge(AttentionOps.partial(Q, 3, K2, V2, 7, mask));
    AttentionOps.accumulate(state, Q, 3, K2, V2, 7, mask, new AttentionWorkspace());
    assertClose(merged.output(), state.output(), 1e-12, "accumulate vs merge");
  }

  @Test
  void stateSurvivesARoundTripThroughItsParts() {
    PartialAttention a = threeStates(0)[0];
    double[] max = new double[a.rows()];
    double[] sum = new double[a.rows()];
    for (int i = 0; i < a.rows(); i++) {
      max[i] = a.max(i);
      sum[i] = a.sum(i);
    }
    PartialAttention back = PartialAttention.of(max, sum, a.weightedValues());
    assertBitwiseEqual(a, back, "of(parts)");
    max[0] = 123; // the arrays are copied
    assertEquals(a.max(0), back.max(0), 0.0);
  }

  /** States travel through Spark's Java serialization (shuffles, broadcasts) unchanged. */
  @Test
  void statesSurviveJavaSerialization() throws Exception {
    PartialAttention a = threeStates(1)[0];
    java.io.ByteArrayOutputStream bytes = new java.io.ByteArrayOutputStream();
    try (java.io.ObjectOutputStream out = new java.io.ObjectOutputStream(bytes)) {
      out.writeObject(a);
      out.writeObject(Mask.causalWindow(4));
    }
    try (java.io.ObjectInputStream in =
        new java.io.ObjectInputStream(new java.io.ByteArrayInputStream(bytes.toByteArray()))) {
      assertBitwiseEqual(a, (PartialAttention) in.readObject(), "deserialized");
      assertEquals(Mask.causalWindow(4), in.readObject());
    }
  }

  // ---------------------------------------------------------------- fully masked rows

  static Stream<Arguments> fullyMaskedBlocks() {
    return Stream.of(
        // mask, qPos0, kPos0: every query of the block is outside every key of the block
        Arguments.of(Mask.causalWindow(3), 0L, 100L),
        Arguments.of(Mask.causalWindow(3), 100L, 0L),
        Arguments.of(Mask.causalWindow(0), 50L, 60L),
        Arguments.of(Mask.causal(), 0L, 20L),
        Arguments.of(Mask.window(1), 40L, 0L),
        Arguments.of(Mask.window(50), 200L, 0L));
  }

  @ParameterizedTest(name = "{0} q0={1} k0={2}")
  @MethodSource("fullyMaskedBlocks")
  void fullyMaskedRowsGiveZerosAndMinusInfinity(Mask mask, long qPos0, long kPos0) {
    Random rnd = new Random(1);
    DMatrixRMaj Q = toMatrix(Matrices.gaussian(rnd, 8, D, 2), D);
    DMatrixRMaj K = toMatrix(Matrices.gaussian(rnd, 10, D, 2), D);
    DMatrixRMaj V = toMatrix(Matrices.gaussian(rnd, 10, DV, 1), DV);
    assertFalse(mask.anyAllowed(qPos0, qPos0 + 7, kPos0, kPos0 + 9), "test setup");
    PartialAttention p = AttentionOps.partial(Q, qPos0, K, V, kPos0, mask);
    PartialAttention twice = p.merge(AttentionOps.partial(Q, qPos0, K, V, kPos0, mask));
    for (PartialAttention s : new PartialAttention[] {p, twice}) {
      for (int i = 0; i < 8; i++) {
        assertEquals(Double.NEGATIVE_INFINITY, s.logSumExp(i), "logSumExp row " + i);
        assertEquals(Double.NEGATIVE_INFINITY, s.max(i), "max row " + i);
        assertEquals(0.0, s.sum(i), "sum row " + i);
      }
      assertArrayEquals(new double[8 * DV], s.output().data);
    }
    assertArrayEquals(new double[8 * 10], AttentionOps.weights(Q, qPos0, K, kPos0, mask).data);
  }

  /** Blocks where only some rows see keys: masked rows stay zero, the others match. */
  @Test
  void partlyMaskedBlockKeepsMaskedRowsAtZero() {
    Random rnd = new Random(2);
    double[][] Q = Matrices.gaussian(rnd, 10, D, 2);
    double[][] K = Matrices.gaussian(rnd, 4, D, 2);
    double[][] V = Matrices.gaussian(rnd, 4, DV, 1);
    // queries 0..9, keys 6..9, causal: rows 0..5 see nothing
    PartialAttention p =
        AttentionOps.partial(toMatrix(Q, D), 0, toMatrix(K, D), toMatrix(V, DV), 6, Mask.causal());
    double[][] expected = SoftmaxReference.attention(Q, 0, K, V, 6, DV, (q, k) -> k <= q);
    assertClose(expected, p.output(), REL_TOL, "partly masked");
    for (int i = 0; i < 6; i++) {
      assertEquals(Double.NEGATIVE_INFINITY, p.logSumExp(i));
    }
  }

  // ---------------------------------------------------------------- large scores

  /**
   * Scores around ±1e4 (entries of ±100 at d = 1, or ±50 at d = 4): exp would overflow without the
   * max subtraction. Keys in blocks so that later blocks raise the max by thousands.
   */
  @ParameterizedTest(name = "d={0} sign={1}")
  @MethodSource("largeScoreCases")
  void hugeScoresStayFiniteAndMatchReference(int d, int sign) {
    Random rnd = new Random(d * 10 + sign);
    double amp = d == 1 ? 100 : 50;
    int m = 6;
    int n = 40;
    double[][] Q = new double[m][d];
    double[][] K = new double[n][d];
    for (int i = 0; i < m; i++) {
      for (int c = 0; c < d; c++) {
        Q[i][c] = sign * amp * (0.5 + rnd.nextDouble() / 2);
      }
    }
    for (int j = 0; j < n; j++) {
      for (int c = 0; c < d; c++) {
        // increasing keys: each block has a far larger max than the last (for sign = +1)
        K[j][c] = amp * (-1 + 2.0 * j / n) + rnd.nextDouble();
      }
    }
    double[][] V = Matrices.gaussian(rnd, n, DV, 1);
    double[][] expected = SoftmaxReference.attention(Q, 0, K, V, 0, DV, (q, k) -> true);
    PartialAttention state = PartialAttention.empty(m, DV);
    AttentionWorkspace ws = new AttentionWorkspace();
    for (int k0 = 0; k0 < n; k0 += 7) {
      int k1 = Math.min(n, k0 + 7);
      AttentionOps.accumulate(
          state,
          toMatrix(Q, d),
          0,
          toMatrix(rows(K, k0, k1), d),
          toMatrix(rows(V, k0, k1), DV),
          k0,
          Mask.none(),
          ws);
    }
    DMatrixRMaj whole =
        AttentionOps.attention(toMatrix(Q, d), toMatrix(K, d), toMatrix(V, DV), Mask.none());
    assertFinite(state.output(), "blocked");
    assertFinite(whole, "whole");
    assertClose(expected, state.output(), REL_TOL, "blocked, huge scores");
    assertClose(expected, whole, REL_TOL, "whole, huge scores");
    for (int i = 0; i < m; i++) {
      assertFalse(Double.isNaN(state.logSumExp(i)) || Double.isInfinite(state.logSumExp(i)));
    }
  }

  static Stream<Arguments> largeScoreCases() {
    return Stream.of(
        Arguments.of(1, 1), Arguments.of(1, -1), Arguments.of(4, 1), Arguments.of(4, -1));
  }
}
