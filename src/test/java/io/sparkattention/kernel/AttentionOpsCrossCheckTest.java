package io.sparkattention.kernel;

import static io.sparkattention.fixtures.Matrices.toMatrix;
import static io.sparkattention.kernel.KernelAssert.REL_TOL;
import static io.sparkattention.kernel.KernelAssert.assertClose;
import static org.junit.jupiter.api.Assertions.assertEquals;

import io.sparkattention.fixtures.Matrices;
import io.sparkattention.fixtures.RefMask;
import io.sparkattention.fixtures.SoftmaxReference;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Random;
import java.util.stream.Stream;
import org.ejml.data.DMatrixRMaj;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Randomized cross-checks of {@link AttentionOps} against {@link SoftmaxReference} over many
 * shapes, every mask kind, whole and blocked (keys cut into blocks that do not divide the length,
 * query blocks at non-zero offsets), at relative error 1e-9.
 */
class AttentionOpsCrossCheckTest {
  private static final int[] LENGTHS = {1, 2, 7, 64, 257};
  private static final int[] DIMS = {1, 3, 8, 16};

  /** One random problem: Q m×d, K n×d, V n×dv. */
  record Problem(double[][] Q, double[][] K, double[][] V, int d, int dv) {
    static Problem random(long seed, int m, int n, int d, int dv) {
      Random rnd = new Random(seed);
      return new Problem(
          Matrices.gaussian(rnd, m, d, 1.5),
          Matrices.gaussian(rnd, n, d, 1.5),
          Matrices.gaussian(rnd, n, dv, 1.0),
          d,
          dv);
    }

    DMatrixRMaj q() {
      return toMatrix(Q, d);
    }

    DMatrixRMaj k() {
      return toMatrix(K, d);
    }

    DMatrixRMaj v() {
      return toMatrix(V, dv);
    }
  }

  static Stream<Arguments> selfAttentionCases() {
    List<Arguments> cases = new ArrayList<>();
    for (RefMask mask : RefMask.allMasks()) {
      for (int len : LENGTHS) {
        for (int d : DIMS) {
          cases.add(Arguments.of(len, len, d, mask));
        }
      }
    }
    return cases.stream();
  }

  static Stream<Arguments> crossLengthCases() {
    List<Arguments> cases = new ArrayList<>();
    RefMask[] masks = {RefMask.none(), RefMask.causal()};
    for (int m : LENGTHS) {
      for (int n : LENGTHS) {
        if (m == n) {
          continue;
        }
        for (int d : DIMS) {
          cases.add(Arguments.of(m, n, d, masks[(m + n + d) % 2]));
        }
      }
    }
    return cases.stream();
  }

  @ParameterizedTest(name = "m={0} n={1} d={2} {3}")
  @MethodSource({"selfAttentionCases", "crossLengthCases"})
  void wholeAttentionMatchesReference(int m, int n, int d, RefMask mask) {
    int dv = 1 + (d + m) % 5;
    Problem p = Problem.random(31L * m + 17L * n + d, m, n, d, dv);
    DMatrixRMaj out = AttentionOps.attention(p.q(), p.k(), p.v(), mask.kernel);
    double[][] expected = SoftmaxReference.attention(p.Q, 0, p.K, p.V, 0, dv, mask.allowed);
    assertClose(expected, out, REL_TOL, "attention m=" + m + " n=" + n + " d=" + d + " " + mask);
  }

  static Stream<Arguments> longCases() {
    return Stream.of(
        Arguments.of(RefMask.none(), 8),
        Arguments.of(RefMask.causal(), 16),
        Arguments.of(RefMask.window(50), 3),
        Arguments.of(RefMask.causalWindow(3), 1));
  }

  @ParameterizedTest(name = "1000×1000 d={1} {0}")
  @MethodSource("longCases")
  void length1000MatchesReference(RefMask mask, int d) {
    Problem p = Problem.random(1000 + d, 1000, 1000, d, 4);
    DMatrixRMaj out = AttentionOps.attention(p.q(), p.k(), p.v(), mask.kernel);
    double[][] expected = SoftmaxReference.attention(p.Q, 0, p.K, p.V, 0, 4, mask.allowed);
    assertClose(expected, out, REL_TOL, "attention 1000 " + mask);
  }

  static Stream<Arguments> blockedCases() {
    List<Arguments> cases = new ArrayList<>();
    int[][] lengthsAndBlocks = {{7, 3}, {64, 3}, {257, 3}, {257, 64}, {257, 100}, {1000, 64}};
    int i = 0;
    for (int[] lb : lengthsAndBlocks) {
      for (RefMask mask : RefMask.allMasks()) {
        // 1000 only with a few masks, to keep the suite fast
        if (lb[0] == 1000 && i++ % 3 != 0) {
          continue;
        }
        cases.add(Arguments.of(lb[0], lb[1], mask));
      }
    }
    return cases.stream();
  }

  /**
   * Query blocks (size 37, so offsets are not multiples of the key block) each accumulate every key
   * block in a shuffled order with one reused workspace; the stitched output and every row's
   * log-sum-exp equal the reference. Key blocks that {@link Mask#anyAllowed} rules out are skipped,
   * as a plan would skip them.
   */
  @ParameterizedTest(name = "len={0} keyBlock={1} {2}")
  @MethodSource("blockedCases")
  void blockedAccumulateMatchesReference(int len, int blockSize, RefMask mask) {
    int d = 8;
    int dv = 3;
    Problem p = Problem.random(len * 7L + blockSize, len, len, d, dv);
    double[][] expected = SoftmaxReference.attention(p.Q, 0, p.K, p.V, 0, dv, mask.allowed);
    double[] expectedLse = SoftmaxReference.logSumExp(p.Q, 0, p.K, 0, mask.allowed);
    DMatrixRMaj out = new DMatrixRMaj(len, dv);
    double[] lse = new double[len];
    AttentionWorkspace ws = new AttentionWorkspace();
    Random rnd = new Random(len + blockSize);
    int queryBlock = 37;
    for (int q0 = 0; q0 < len; q0 += queryBlock) {
      int q1 = Math.min(len, q0 + queryBlock);
      DMatrixRMaj Qb = toMatrix(Matrices.rows(p.Q, q0, q1), d);
      PartialAttention state = PartialAttention.empty(q1 - q0, dv);
      List<Integer> starts = new ArrayList<>();
      for (int k0 = 0; k0 < len; k0 += blockSize) {
        starts.add(k0);
      }
      Collections.shuffle(starts, rnd);
      for (int k0 : starts) {
        int k1 = Math.min(len, k0 + blockSize);
        if (!mask.kernel.anyAllowed(q0, q1 - 1, k0, k1 - 1)) {
          continue;
        }
        AttentionOps.accumulate(
            state,
            Qb,
            q0,
            toMatrix(Matrices.rows(p.K, k0, k1), d),
            toMatrix(Matrices.rows(p.V, k0, k1), dv),
            k0,
            mask.kernel,
            ws);
      }
      state.output(out, q0);
      for (int i = 0; i < q1 - q0; i++) {
        lse[q0 + i] = state.logSumExp(i);
      }
    }
    assertClose(expected, out, REL_TOL, "blocked " + mask);
    assertClose(expectedLse, lse, REL_TOL, "blocked log-sum-exp " + mask);
  }

  /**
   * Per key block a separate {@link AttentionOps#partial} (including blocks wholly masked), merged
   * in a shuffled order, for a query block at an odd offset: equal to the reference.
   */
  @ParameterizedTest(name = "len={0} keyBlock={1} {2}")
  @MethodSource("blockedCases")
  void blockedPartialsMergedMatchReference(int len, int blockSize, RefMask mask) {
    int d = 3;
    int dv = 2;
    Problem p = Problem.random(len * 11L + blockSize, len, len, d, dv);
    int q0 = len / 3;
    int q1 = Math.min(len, q0 + 41);
    double[][] Qb = Matrices.rows(p.Q, q0, q1);
    double[][] expected = SoftmaxReference.attention(Qb, q0, p.K, p.V, 0, dv, mask.allowed);
    List<PartialAttention> parts = new ArrayList<>();
    for (int k0 = 0; k0 < len; k0 += blockSize) {
      int k1 = Math.min(len, k0 + blockSize);
      parts.add(
          AttentionOps.partial(
              toMatrix(Qb, d),
              q0,
              toMatrix(Matrices.rows(p.K, k0, k1), d),
              toMatrix(Matrices.rows(p.V, k0, k1), dv),
              k0,
              mask.kernel));
    }
    Collections.shuffle(parts, new Random(blockSize));
    PartialAttention merged = PartialAttention.empty(q1 - q0, dv);
    for (PartialAttention part : parts) {
      merged.mergeFrom(part);
    }
    assertClose(expected, merged.output(), REL_TOL, "merged partials " + mask);
  }

  /** Queries and keys both offset (qPos0, kPos0 ≠ 0), as a block of a longer sequence. */
  @ParameterizedTest(name = "{0}")
  @MethodSource("io.sparkattention.fixtures.RefMask#allMasks")
  void offsetsAreAbsolutePositions(RefMask mask) {
    Problem p = Problem.random(5, 20, 30, 4, 3);
    long qPos0 = 1_000_003;
    long kPos0 = 999_990;
    DMatrixRMaj out = AttentionOps.partial(p.q(), qPos0, p.k(), p.v(), kPos0, mask.kernel).output();
    double[][] expected = SoftmaxReference.attention(p.Q, qPos0, p.K, p.V, kPos0, 3, mask.allowed);
    assertClose(expected, out, REL_TOL, "offset " + mask);
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("io.sparkattention.fixtures.RefMask#allMasks")
  void weightsMatchReference(RefMask mask) {
    Problem p = Problem.random(6, 9, 13, 3, 1);
    DMatrixRMaj W = AttentionOps.weights(p.q(), 4, p.k(), 0, mask.kernel);
    double[][] expected = SoftmaxReference.weights(p.Q, 4, p.K, 0, mask.allowed);
    assertClose(expected, W, REL_TOL, "weights " + mask);
  }

  /** Zero queries, zero keys, zero-width values: right shapes, zeros, no exceptions. */
  @ParameterizedTest(name = "m={0} n={1} dv={2}")
  @MethodSource("zeroLengthCases")
  void zeroLengthEdges(int m, int n, int dv) {
    Problem p = Problem.random(7, m, n, 3, dv);
    DMatrixRMaj out = AttentionOps.attention(p.q(), p.k(), p.v(), Mask.causal());
    assertEquals(m, out.numRows);
    assertEquals(dv, out.numCols);
    double[][] expected = SoftmaxReference.attention(p.Q, 0, p.K, p.V, 0, dv, (q, k) -> k <= q);
    assertClose(expected, out, REL_TOL, "zero-length");
  }

  static Stream<Arguments> zeroLengthCases() {
    return Stream.of(
        Arguments.of(0, 0, 2),
        Arguments.of(0, 5, 2),
        Arguments.of(4, 0, 2),
        Arguments.of(4, 5, 0),
        Arguments.of(1, 1, 0));
  }
}
