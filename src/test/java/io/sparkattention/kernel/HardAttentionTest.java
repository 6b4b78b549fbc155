package io.sparkattention.kernel;

import static io.sparkattention.fixtures.Matrices.rows;
import static io.sparkattention.fixtures.Matrices.toMatrix;
import static io.sparkattention.kernel.KernelAssert.assertClose;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.sparkattention.fixtures.HardReference;
import io.sparkattention.fixtures.Matrices;
import io.sparkattention.fixtures.RefMask;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Random;
import java.util.stream.Stream;
import org.ejml.data.DMatrixRMaj;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Hard attention: argmax and Gumbel-sampled choices against the reference, independence of the key
 * split and of the merge order, ties to the lowest key position, and sampled frequencies close to
 * the softmax.
 */
class HardAttentionTest {
  private static final int DV = 3;

  static Stream<Arguments> cases() {
    List<Arguments> cases = new ArrayList<>();
    int[] lengths = {1, 2, 7, 64, 257};
    int[] dims = {1, 3, 8, 16};
    int i = 0;
    for (RefMask mask : RefMask.allMasks()) {
      for (int len : lengths) {
        cases.add(Arguments.of(len, dims[i++ % dims.length], mask));
      }
    }
    return cases.stream();
  }

  @ParameterizedTest(name = "len={0} d={1} {2}")
  @MethodSource("cases")
  void argmaxMatchesReference(int len, int d, RefMask mask) {
    Random rnd = new Random(len * 13L + d);
    double[][] Q = Matrices.gaussian(rnd, len, d, 1);
    double[][] K = Matrices.gaussian(rnd, len, d, 1);
    double[][] V = Matrices.gaussian(rnd, len, DV, 1);
    long[] expected = HardReference.hardChoice(Q, 0, K, 0, mask.allowed);
    HardAttention state = HardAttention.argmax(len, DV);
    AttentionOps.accumulate(
        state,
        toMatrix(Q, d),
        0,
        toMatrix(K, d),
        toMatrix(V, DV),
        0,
        mask.kernel,
        new AttentionWorkspace());
    assertArrayEquals(expected, chosen(state), "chosen keys " + mask);
    DMatrixRMaj out =
        AttentionOps.hard(toMatrix(Q, d), toMatrix(K, d), toMatrix(V, DV), mask.kernel);
    assertClose(HardReference.gather(expected, V, 0, DV), out, 0.0, "hard output");
  }

  @ParameterizedTest(name = "len={0} d={1} {2}")
  @MethodSource("cases")
  void sampledMatchesReference(int len, int d, RefMask mask) {
    Random rnd = new Random(len * 17L + d);
    double[][] Q = Matrices.gaussian(rnd, len, d, 1);
    double[][] K = Matrices.gaussian(rnd, len, d, 1);
    double[][] V = Matrices.gaussian(rnd, len, DV, 1);
    long seed = 42 + len;
    long[] expected = HardReference.sampledChoice(Q, 0, K, 0, mask.allowed, seed);
    DMatrixRMaj out =
        AttentionOps.hardSampled(
            toMatrix(Q, d), toMatrix(K, d), toMatrix(V, DV), mask.kernel, seed);
    assertClose(HardReference.gather(expected, V, 0, DV), out, 0.0, "sampled output");
  }

  /** States per key block, merged in every rotation and in shuffled orders: the same choice. */
  @ParameterizedTest(name = "sampled={0}")
  @ValueSource(booleans = {false, true})
  void splitAndMergeOrderDoNotChangeTheChoice(boolean sampled) {
    Random rnd = new Random(3);
    int m = 20;
    int n = 50;
    long qPos0 = 30;
    double[][] Q = Matrices.gaussian(rnd, m, 4, 1);
    double[][] K = Matrices.gaussian(rnd, n, 4, 1);
    double[][] V = Matrices.gaussian(rnd, n, DV, 1);
    Mask mask = Mask.window(25);
    long seed = 9;
    long[] whole = chosen(hardState(Q, qPos0, K, V, 0, n, mask, sampled, seed));
    long[] expected =
        sampled
            ? HardReference.sampledChoice(Q, qPos0, K, 0, (q, k) -> Math.abs(q - k) <= 25, seed)
            : HardReference.hardChoice(Q, qPos0, K, 0, (q, k) -> Math.abs(q - k) <= 25);
    assertArrayEquals(expected, whole);
    for (int block : new int[] {1, 3, 7, 50}) {
      List<HardAttention> parts = new ArrayList<>();
      for (int k0 = 0; k0 < n; k0 += block) {
        parts.add(hardState(Q, qPos0, K, V, k0, Math.min(n, k0 + block), mask, sampled, seed));
      }
      for (int shuffle = 0; shuffle < 5; shuffle++) {
        Collections.shuffle(parts, new Random(shuffle));
        HardAttention merged =
            sampled ? HardAttention.sampled(m, DV, seed) : HardAttention.argmax(m, DV);
        for (HardAttention p : parts) {
          merged = shuffle % 2 == 0 ? merged.merge(p) : p.merge(merged);
        }
        assertArrayEquals(whole, chosen(merged), "block " + block + " order " + shuffle);
        assertClose(HardReference.gather(whole, V, 0, DV), merged.output(), 0.0, "merged values");
      }
      // accumulating the blocks in reverse into one state gives the same too
      HardAttention acc =
          sampled ? HardAttention.sampled(m, DV, seed) : HardAttention.argmax(m, DV);
      AttentionWorkspace ws = new AttentionWorkspace();
      for (int k0 = (n - 1) / block * block; k0 >= 0; k0 -= block) {
        int k1 = Math.min(n, k0 + block);
        AttentionOps.accumulate(
            acc,
            toMatrix(Q, 4),
            qPos0,
            toMatrix(rows(K, k0, k1), 4),
            toMatrix(rows(V, k0, k1), DV),
            k0,
            mask,
            ws);
      }
      assertArrayEquals(whole, chosen(acc), "reverse accumulate, block " + block);
    }
  }

  /**
   * Keys 2, 5 and 9 are equal and score highest (the others are their negation): the choice is key
   * 2 whatever the split and order, even when the block holding key 9 or 5 comes first.
   */
  @Test
  void tiesGoToTheLowestKeyPosition() {
    int n = 12;
    double[][] Q = {{1, 2}, {0.5, 0.25}};
    double[][] K = new double[n][];
    double[][] V = new double[n][];
    for (int j = 0; j < n; j++) {
      boolean top = j == 2 || j == 5 || j == 9;
      K[j] = top ? new double[] {3, 1} : new double[] {-3, -1};
      V[j] = new double[] {j, -j, 0.5 * j};
    }
    assertArrayEquals(new long[] {2, 2}, HardReference.hardChoice(Q, 0, K, 0, (q, k) -> true));
    for (int block : new int[] {1, 2, 3, 4, 5, 12}) {
      List<HardAttention> parts = new ArrayList<>();
      for (int k0 = 0; k0 < n; k0 += block) {
        parts.add(hardState(Q, 0, K, V, k0, Math.min(n, k0 + block), Mask.none(), false, 0));
      }
      Collections.reverse(parts);
      HardAttention merged = HardAttention.argmax(2, DV);
      for (HardAttention p : parts) {
        merged.mergeFrom(p);
      }
      assertArrayEquals(new long[] {2, 2}, chosen(merged), "block " + block);
      assertArrayEquals(new double[] {2, -2, 1, 2, -2, 1}, merged.output().data);
    }
    // with key 2 masked out (window around query 7), key 5 wins over key 9
    HardAttention w = hardState(Q, 6, K, V, 0, n, Mask.window(3), false, 0);
    assertEquals(5, w.chosenKey(0));
  }

  @Test
  void fullyMaskedRowsChooseNothingAndOutputZeros() {
    Random rnd = new Random(4);
    double[][] Q = Matrices.gaussian(rnd, 5, 3, 1);
    double[][] K = Matrices.gaussian(rnd, 6, 3, 1);
    double[][] V = Matrices.gaussian(rnd, 6, DV, 1);
    for (boolean sampled : new boolean[] {false, true}) {
      HardAttention s = hardState(Q, 0, K, V, 0, 6, Mask.causalWindow(2), sampled, 1);
      HardAttention far = hardState(Q, 0, rows(K, 0, 6), V, 100, 106, Mask.causal(), sampled, 1);
      for (int i = 0; i < 5; i++) {
        assertEquals(-1, far.chosenKey(i));
        assertEquals(Double.NEGATIVE_INFINITY, far.bestScore(i));
      }
      assertArrayEquals(new double[5 * DV], far.output().data);
      assertArrayEquals(chosen(s), chosen(s.merge(far)));
      assertArrayEquals(chosen(s), chosen(far.merge(s)));
    }
  }

  /**
   * One query, 3 keys with scores ln 1, ln 2, ln 5 (softmax 1/8, 2/8, 5/8): over 20000 seeds the
   * sampled key frequencies are within 0.02 of the softmax (about 5 standard errors).
   */
  @Test
  void sampledFrequenciesFollowTheSoftmax() {
    // d = 1, scale 1: q = 1, k_j = log of the unnormalised probability
    DMatrixRMaj Q = toMatrix(new double[][] {{1}});
    DMatrixRMaj K = toMatrix(new double[][] {{Math.log(1)}, {Math.log(2)}, {Math.log(5)}});
    DMatrixRMaj V = toMatrix(new double[][] {{0}, {1}, {2}});
    int draws = 20000;
    int[] counts = new int[3];
    for (int seed = 0; seed < draws; seed++) {
      HardAttention state = HardAttention.sampled(1, 1, seed);
      AttentionOps.accumulate(state, Q, 0, K, V, 0, Mask.none(), new AttentionWorkspace());
      counts[(int) state.chosenKey(0)]++;
    }
    double[] expected = {1 / 8.0, 2 / 8.0, 5 / 8.0};
    for (int j = 0; j < 3; j++) {
      double freq = counts[j] / (double) draws;
      assertEquals(expected[j], freq, 0.02, "frequency of key " + j);
    }
    // the argmax, by contrast, always takes key 2
    assertEquals(2.0, AttentionOps.hard(Q, K, V, Mask.none()).get(0, 0));
  }

  /** Same seed and query, different query positions: different (independent) noise is drawn. */
  @Test
  void sampledNoiseDependsOnPositionsNotOnTheSplit() {
    DMatrixRMaj Q = toMatrix(new double[][] {{0}, {0}, {0}, {0}, {0}, {0}, {0}, {0}});
    DMatrixRMaj K = toMatrix(new double[][] {{0}, {0}, {0}, {0}, {0}});
    DMatrixRMaj V = toMatrix(new double[][] {{0}, {1}, {2}, {3}, {4}});
    DMatrixRMaj out = AttentionOps.hardSampled(Q, K, V, Mask.none(), 77);
    // all scores equal: the choice is uniform noise; with 8 queries not all pick the same key
    boolean differ = false;
    for (int i = 1; i < 8; i++) {
      differ |= out.get(i, 0) != out.get(0, 0);
    }
    assertTrue(differ, "noise should differ between query positions");
  }

  /** A state rebuilt from its parts (as after a shuffle) merges like the original. */
  @Test
  void stateFromPartsRoundTripsAndRefusesBadParts() {
    Random rnd = new Random(6);
    double[][] Q = Matrices.gaussian(rnd, 6, 3, 1);
    double[][] K = Matrices.gaussian(rnd, 10, 3, 1);
    double[][] V = Matrices.gaussian(rnd, 10, DV, 1);
    HardAttention a = hardState(Q, 0, K, V, 0, 4, Mask.causal(), true, 8);
    HardAttention b = hardState(Q, 0, K, V, 4, 10, Mask.causal(), true, 8);
    double[] scores = new double[6];
    for (int i = 0; i < 6; i++) {
      scores[i] = a.bestScore(i);
    }
    long[] keys = chosen(a);
    DMatrixRMaj values = a.output();
    HardAttention rebuilt = HardAttention.of(true, 8, scores, keys, values);
    assertArrayEquals(chosen(a), chosen(rebuilt));
    assertEquals(a.chosenValue(3, 1), rebuilt.chosenValue(3, 1));
    assertArrayEquals(chosen(a.merge(b)), chosen(rebuilt.merge(b)));
    assertArrayEquals(a.merge(b).output().data, b.merge(rebuilt).output().data);
    keys[0] = 7; // the parts were copied
    assertEquals(0, rebuilt.chosenKey(0));

    // query 0 sees only key 0 under the causal mask; query 5 sees keys 0..3 of this block
    long[] good = chosen(a);
    assertBad("parts disagree", () -> HardAttention.of(false, 0, new double[5], good, values));
    double[] inf = scores.clone();
    inf[2] = Double.POSITIVE_INFINITY;
    assertBad("row 2: score is Infinity", () -> HardAttention.of(true, 8, inf, good, values));
    double[] nan = scores.clone();
    nan[1] = Double.NaN;
    assertBad("row 1: score is NaN", () -> HardAttention.of(true, 8, nan, good, values));
    long[] noKey = good.clone();
    noKey[4] = -1;
    assertBad("row 4: no key but score", () -> HardAttention.of(true, 8, scores, noKey, values));
    double[] minusInf = scores.clone();
    minusInf[4] = Double.NEGATIVE_INFINITY;
    assertBad(
        "row 4: no key but a non-zero value",
        () -> HardAttention.of(true, 8, minusInf, noKey, values));
    long[] below = good.clone();
    below[3] = -2;
    assertBad("row 3: key is -2", () -> HardAttention.of(true, 8, scores, below, values));
    DMatrixRMaj nanValue = values.copy();
    nanValue.set(5, 0, Double.NaN);
    assertBad("bestValue", () -> HardAttention.of(true, 8, scores, good, nanValue));
    // an empty row is valid: −∞, key −1, zeros
    double[] empty = scores.clone();
    empty[4] = Double.NEGATIVE_INFINITY;
    DMatrixRMaj zeroRow = values.copy();
    for (int c = 0; c < DV; c++) {
      zeroRow.set(4, c, 0);
    }
    assertEquals(-1, HardAttention.of(true, 8, empty, noKey, zeroRow).chosenKey(4));
    assertEquals(
        0, HardAttention.of(false, 0, new double[0], new long[0], new DMatrixRMaj(0, DV)).rows());
  }

  private static void assertBad(String message, org.junit.jupiter.api.function.Executable e) {
    IllegalArgumentException ex =
        org.junit.jupiter.api.Assertions.assertThrows(IllegalArgumentException.class, e);
    assertTrue(ex.getMessage().contains(message), ex.getMessage());
  }

  // ---------------------------------------------------------------- helpers

  private static HardAttention hardState(
      double[][] Q,
      long qPos0,
      double[][] K,
      double[][] V,
      int k0,
      int k1,
      Mask mask,
      boolean sampled,
      long seed) {
    int d = Q[0].length;
    HardAttention state =
        sampled ? HardAttention.sampled(Q.length, DV, seed) : HardAttention.argmax(Q.length, DV);
    // keys k0..k1-1 of K/V if K is the whole sequence, or all of K placed at position k0
    double[][] Kb = K.length >= k1 ? rows(K, k0, k1) : K;
    double[][] Vb = V.length >= k1 ? rows(V, k0, k1) : V;
    AttentionOps.accumulate(
        state,
        toMatrix(Q, d),
        qPos0,
        toMatrix(Kb, d),
        toMatrix(Vb, DV),
        k0,
        mask,
        new AttentionWorkspace());
    return state;
  }

  private static long[] chosen(HardAttention s) {
    long[] c = new long[s.rows()];
    for (int i = 0; i < c.length; i++) {
      c[i] = s.chosenKey(i);
    }
    return c;
  }
}
