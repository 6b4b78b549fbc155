package io.sparkattention.kernel;

import static io.sparkattention.fixtures.Matrices.toMatrix;
import static io.sparkattention.kernel.KernelAssert.assertClose;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.sparkattention.fixtures.Matrices;
import io.sparkattention.fixtures.ModernReference;
import io.sparkattention.fixtures.RefMask;
import io.sparkattention.fixtures.Weights;
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
 * RoPE, ALiBi, softcap, a set scale and grouped-query heads in the kernel: known answers worked out
 * by hand, and randomized cross-checks against {@link ModernReference} (whole and by key blocks
 * that do not divide the length, soft and hard).
 */
class ScoreOptionsTest {
  private static final double TOL = 1e-9;

  // ---------------------------------------------------------------- known answers

  @Test
  void ropeRotatesPairsByPositionTimesFrequency() {
    // d = 4, θ = 100: frequencies θ^(−0/4) = 1 and θ^(−2/4) = 1/10. x = (1, 2, 3, 4) at pos 1.
    // half: pairs (x0, x2) = (1, 3) by angle 1 and (x1, x3) = (2, 4) by angle 0.1:
    //   (1·cos1 − 3·sin1, 2·cos.1 − 4·sin.1, 3·cos1 + 1·sin1, 4·cos.1 + 2·sin.1)
    // interleaved: pairs (x0, x1) = (1, 2) by angle 1 and (x2, x3) = (3, 4) by angle 0.1:
    //   (1·cos1 − 2·sin1, 2·cos1 + 1·sin1, 3·cos.1 − 4·sin.1, 4·cos.1 + 3·sin.1)
    double c1 = Math.cos(1);
    double s1 = Math.sin(1);
    double c01 = Math.cos(0.1);
    double s01 = Math.sin(0.1);
    DMatrixRMaj half = toMatrix(new double[][] {{1, 2, 3, 4}});
    Rope.of(Rope.Style.HALF, 100).rotate(half, 1);
    assertArrayEquals(
        new double[] {c1 - 3 * s1, 2 * c01 - 4 * s01, 3 * c1 + s1, 4 * c01 + 2 * s01},
        half.data,
        1e-15);
    DMatrixRMaj pairs = toMatrix(new double[][] {{1, 2, 3, 4}});
    Rope.of(Rope.Style.INTERLEAVED, 100).rotate(pairs, 1);
    assertArrayEquals(
        new double[] {c1 - 2 * s1, 2 * c1 + s1, 3 * c01 - 4 * s01, 4 * c01 + 3 * s01},
        pairs.data,
        1e-15);
  }

  @Test
  void ropeThreeTokensCausal() {
    // One head, d = 2, so one pair at frequency 1 and scale 1/√2. Every token has q = k = (1, 0);
    // rotated at pos p it is (cos p, sin p), so q_i·k_j = cos(i − j): the score depends only on
    // the distance. Causal; V = one-hot rows, so the output row is the weights.
    //   query 0: key 0 only → (1, 0, 0)
    //   query 1: scores (cos 1, cos 0)/√2 → (e^{cos1/√2}, e^{1/√2}, 0) / sum
    //   query 2: scores (cos 2, cos 1, cos 0)/√2 → (e^{cos2/√2}, e^{cos1/√2}, e^{1/√2}) / sum
    DMatrixRMaj X = toMatrix(new double[][] {{1, 0}, {1, 0}, {1, 0}});
    Weights w = new Weights();
    w.wv = new double[][] {{0, 0, 0}, {0, 0, 0}};
    w.bv = new double[] {0, 0, 0};
    DMatrixRMaj V = toMatrix(new double[][] {{1, 0, 0}, {0, 1, 0}, {0, 0, 1}});
    ScoreOptions rope = ScoreOptions.standard().withRope(Rope.of(Rope.Style.HALF, 10000));
    DMatrixRMaj Q = X.copy();
    DMatrixRMaj K = X.copy();
    rope.rope().rotate(Q, 0);
    rope.rope().rotate(K, 0);
    DMatrixRMaj out = AttentionOps.partial(Q, 0, K, V, 0, Mask.causal(), rope.rule(0, 1)).output();
    double r = 1 / Math.sqrt(2);
    double a = Math.exp(Math.cos(2) * r);
    double b = Math.exp(Math.cos(1) * r);
    double c = Math.exp(r);
    double[] expected = {
      1, 0, 0, b / (b + c), c / (b + c), 0, a / (a + b + c), b / (a + b + c), c / (a + b + c)
    };
    assertArrayEquals(expected, out.data, 1e-15);
  }

  @Test
  void alibiSlopesAsBloom() {
    // 8 heads: p = 8, base 2^(−8/8) = 1/2: 1/2, 1/4, …, 1/256.
    assertArrayEquals(
        new double[] {0.5, 0.25, 0.125, 0.0625, 1.0 / 32, 1.0 / 64, 1.0 / 128, 1.0 / 256},
        Alibi.slopes(8),
        0);
    // 3 heads: p = 2, base 2^(−4): 1/16, 1/256; extra base 2^(−8/4) = 1/4 to the power 1: 1/4.
    assertArrayEquals(new double[] {1.0 / 16, 1.0 / 256, 0.25}, Alibi.slopes(3), 1e-18);
    // 1 head: 2^(−8).
    assertArrayEquals(new double[] {1.0 / 256}, Alibi.slopes(1), 0);
    for (int h = 1; h <= 40; h++) {
      assertArrayEquals(ModernReference.alibiSlopes(h), Alibi.slopes(h), 1e-15, "heads " + h);
    }
  }

  @Test
  void alibiThreeTokens() {
    // 8 heads of width 1, all scores 0 (Q = K = 0), so only the bias −m_h·|q − k| counts. Values
    // v_j = j in every column. Head 0, slope 1/2:
    //   causal query 2: biases (−1, −1/2, 0) → out = (0·e^{−1} + 1·e^{−1/2} + 2·1)/(e^{−1} +
    //   e^{−1/2} + 1); query 1: (−1/2, 0) → (e^{−1/2}·0 + 1)/(e^{−1/2} + 1)
    //   global query 0: biases (0, −1/2, −1) → (e^{−1/2} + 2e^{−1})/(1 + e^{−1/2} + e^{−1})
    // Head 7, slope 1/256, causal query 2: (e^{−1/256} + 2)/(e^{−2/256} + e^{−1/256} + 1).
    // x_j = (j, …, j); wq = wk = 0 (so q = k = 0), no wv (so v_j = x_j).
    DMatrixRMaj X = new DMatrixRMaj(3, 8);
    for (int j = 0; j < 3; j++) {
      for (int c = 0; c < 8; c++) {
        X.set(j, c, j);
      }
    }
    AttentionWeights zeroQk =
        AttentionWeights.builder()
            .query(new DMatrixRMaj(8, 8), null)
            .key(new DMatrixRMaj(8, 8), null)
            .build();
    ScoreOptions alibi = ScoreOptions.standard().withAlibi(true);
    DMatrixRMaj causal = MultiHeadOps.attention(X, X, zeroQk, 8, Mask.causal(), alibi);
    double e1 = Math.exp(-1);
    double e12 = Math.exp(-0.5);
    assertEquals(0, causal.get(0, 0), 1e-15);
    assertEquals(1 / (e12 + 1), causal.get(1, 0), 1e-15);
    assertEquals((e12 + 2) / (e1 + e12 + 1), causal.get(2, 0), 1e-15);
    double f1 = Math.exp(-1.0 / 256);
    double f2 = Math.exp(-2.0 / 256);
    assertEquals((f1 + 2) / (f2 + f1 + 1), causal.get(2, 7), 1e-15);
    DMatrixRMaj global = MultiHeadOps.attention(X, X, zeroQk, 8, Mask.none(), alibi);
    assertEquals((e12 + 2 * e1) / (1 + e12 + e1), global.get(0, 0), 1e-15);
  }

  @Test
  void softcapAndScale() {
    // d = 1, q = 3, keys 0 and 2, scale 2 → scaled scores 0 and 12; softcap 5 → 0 and 5·tanh(2.4).
    // weights (1, e^{5 tanh 2.4}) / sum; values 0 and 1 → out = e^{5 tanh 2.4}/(1 + e^{5 tanh 2.4})
    DMatrixRMaj Q = toMatrix(new double[][] {{3}});
    DMatrixRMaj K = toMatrix(new double[][] {{0}, {2}});
    DMatrixRMaj V = toMatrix(new double[][] {{0}, {1}});
    double e = Math.exp(5 * Math.tanh(2.4));
    ScoreRule rule = ScoreOptions.standard().withScale(2).withSoftcap(5).rule(0, 1);
    assertEquals(
        e / (1 + e),
        AttentionOps.partial(Q, 0, K, V, 0, Mask.none(), rule).output().get(0, 0),
        1e-15);
    // without the cap: e^{12}/(1 + e^{12}); scale 2 only
    ScoreRule scaled = ScoreOptions.standard().withScale(2).rule(0, 1);
    double e12 = Math.exp(12);
    assertEquals(
        e12 / (1 + e12),
        AttentionOps.partial(Q, 0, K, V, 0, Mask.none(), scaled).output().get(0, 0),
        1e-15);
  }

  @Test
  void standardIsTheSameBitsAsBefore() {
    Random rnd = new Random(5);
    DMatrixRMaj Q = toMatrix(Matrices.gaussian(rnd, 37, 8, 1.5));
    DMatrixRMaj K = toMatrix(Matrices.gaussian(rnd, 41, 8, 1.5));
    DMatrixRMaj V = toMatrix(Matrices.gaussian(rnd, 41, 3, 1));
    PartialAttention before = AttentionOps.partial(Q, 3, K, V, 0, Mask.causal());
    PartialAttention now =
        AttentionOps.partial(Q, 3, K, V, 0, Mask.causal(), ScoreOptions.standard().rule(0, 4));
    assertArrayEquals(before.output().data, now.output().data, 0);
    // an explicit scale equal to 1/√d gives the same bits too
    PartialAttention scaled =
        AttentionOps.partial(Q, 3, K, V, 0, Mask.causal(), ScoreRule.of(1 / Math.sqrt(8), 0, 0));
    assertArrayEquals(before.output().data, scaled.output().data, 0);
  }

  // ---------------------------------------------------------------- randomized cross-checks

  static Stream<Arguments> cases() {
    List<Arguments> out = new ArrayList<>();
    int[] lengths = {1, 5, 13, 30};
    String[] names = {"rope-half", "rope-interleaved", "alibi", "softcap", "scale", "gqa", "all"};
    RefMask[] masks = {
      RefMask.none(), RefMask.causal(), RefMask.window(3), RefMask.causalWindow(4)
    };
    int i = 0;
    for (String name : names) {
      for (int n : lengths) {
        for (RefMask mask : masks) {
          out.add(Arguments.of(name, n, mask, (long) i++));
        }
      }
    }
    return out.stream();
  }

  /** The reference's options and the kernel's, for a case name; 4 query heads of width 4. */
  static Object[] options(String name) {
    ModernReference.Options ref = new ModernReference.Options();
    ScoreOptions k = ScoreOptions.standard();
    switch (name) {
      case "rope-half":
        ref.rope("half", 10000);
        k = k.withRope(Rope.of(Rope.Style.HALF, 10000));
        break;
      case "rope-interleaved":
        ref.rope("interleaved", 500);
        k = k.withRope(Rope.of(Rope.Style.INTERLEAVED, 500));
        break;
      case "alibi":
        ref.alibi();
        k = k.withAlibi(true);
        break;
      case "softcap":
        ref.softcap(1.5);
        k = k.withSoftcap(1.5);
        break;
      case "scale":
        ref.scale(0.9);
        k = k.withScale(0.9);
        break;
      case "gqa":
        ref.kvHeads(2);
        k = k.withKvHeads(2);
        break;
      default:
        ref.rope("half", 1000).alibi().softcap(2).scale(0.4).kvHeads(1);
        k =
            k.withRope(Rope.of(Rope.Style.HALF, 1000))
                .withAlibi(true)
                .withSoftcap(2)
                .withScale(0.4)
                .withKvHeads(1);
    }
    return new Object[] {ref, k};
  }

  @ParameterizedTest(name = "{0} n={1} {2}")
  @MethodSource("cases")
  void multiHeadMatchesReference(String name, int n, RefMask mask, long seed) {
    Random rnd = new Random(seed);
    Object[] o = options(name);
    ModernReference.Options ref = (ModernReference.Options) o[0];
    ScoreOptions opts = (ScoreOptions) o[1];
    int heads = 4;
    Weights w = Weights.grouped(rnd, 6, heads, opts.kvHeads(heads), 4, 0.8);
    double[][] X = Matrices.gaussian(rnd, n, 6, 1.5);
    double[][] expected = ModernReference.multiHead(X, X, w, heads, mask.allowed, ref);
    DMatrixRMaj actual =
        MultiHeadOps.attention(toMatrix(X), toMatrix(X), w.toKernel(), heads, mask.kernel, opts);
    assertClose(expected, actual, TOL, name);
  }

  @ParameterizedTest(name = "{0} n={1} {2}")
  @MethodSource("cases")
  void keyBlocksMergeToTheWhole(String name, int n, RefMask mask, long seed) {
    // one head's state, queries at 2 …, keys cut into blocks of 4 at 0, 4, 8, …
    Random rnd = new Random(seed);
    ScoreOptions opts = (ScoreOptions) options(name)[1];
    DMatrixRMaj Q = toMatrix(Matrices.gaussian(rnd, n, 4, 1.5));
    DMatrixRMaj K = toMatrix(Matrices.gaussian(rnd, n + 2, 4, 1.5));
    DMatrixRMaj V = toMatrix(Matrices.gaussian(rnd, n + 2, 3, 1));
    ScoreRule rule = opts.rule(3, 4);
    PartialAttention whole = AttentionOps.partial(Q, 2, K, V, 0, mask.kernel, rule);
    PartialAttention merged = PartialAttention.empty(n, 3);
    AttentionWorkspace ws = new AttentionWorkspace();
    for (int k0 = 0; k0 < K.numRows; k0 += 4) {
      int k1 = Math.min(K.numRows, k0 + 4);
      DMatrixRMaj Kb = org.ejml.dense.row.CommonOps_DDRM.extract(K, k0, k1, 0, 4);
      DMatrixRMaj Vb = org.ejml.dense.row.CommonOps_DDRM.extract(V, k0, k1, 0, 3);
      AttentionOps.accumulate(merged, Q, 2, Kb, Vb, k0, mask.kernel, rule, ws);
    }
    assertClose(whole.output(), merged.output(), TOL, name);
    double[][] W =
        ModernReference.headWeights(
            Matrices.toArray(Q),
            2,
            Matrices.toArray(K),
            0,
            mask.allowed,
            refOptions(name),
            opts.alibi() ? ModernReference.alibiSlopes(4)[3] : 0);
    assertClose(
        Matrices.times(W, Matrices.toArray(V), 3), whole.output(), TOL, name + " vs reference");
  }

  private static ModernReference.Options refOptions(String name) {
    return (ModernReference.Options) options(name)[0];
  }

  @Test
  void hardTakesTheBestTransformedScore() {
    // ALiBi changes the argmax: q·k favours the far key, the bias the near one.
    // d = 1, q = 1 at pos 3, keys 0 (k = 2) and 3 (k = 1.5); scale 1: scores 2 and 1.5. ALiBi
    // slope 1/2 (head 0 of 8): 2 − 3/2 = 0.5 < 1.5 − 0 → key 3 wins; without ALiBi key 0.
    DMatrixRMaj Q = toMatrix(new double[][] {{1}});
    DMatrixRMaj K = toMatrix(new double[][] {{2}, {0}, {0}, {1.5}});
    DMatrixRMaj V = toMatrix(new double[][] {{10}, {20}, {30}, {40}});
    Mask only03 = Mask.none();
    HardAttention plain = HardAttention.argmax(1, 1);
    AttentionOps.accumulate(
        plain, Q, 3, K, V, 0, only03, ScoreRule.of(1, 0, 0), new AttentionWorkspace());
    HardAttention biased = HardAttention.argmax(1, 1);
    AttentionOps.accumulate(
        biased, Q, 3, K, V, 0, only03, ScoreRule.of(1, 0, 0.5), new AttentionWorkspace());
    // scores with bias: key0 2 − 1.5 = 0.5, key1 0 − 1 = −1, key2 0 − 0.5, key3 1.5 → key 3
    assertEquals(0, plain.chosenKey(0));
    assertEquals(3, biased.chosenKey(0));
    assertEquals(40, biased.output().get(0, 0), 0);
  }

  // ---------------------------------------------------------------- bad input

  @Test
  void badCombinationsAreRefused() {
    ScoreOptions gqa3 = ScoreOptions.standard().withKvHeads(3);
    IllegalArgumentException e =
        assertThrows(IllegalArgumentException.class, () -> gqa3.checkKvHeads(4));
    assertTrue(e.getMessage().contains("3 key/value heads do not divide 4 query heads"));
    ScoreOptions rope = ScoreOptions.standard().withRope(Rope.of(Rope.Style.HALF, 10000));
    e = assertThrows(IllegalArgumentException.class, () -> rope.check(2, 3));
    assertTrue(e.getMessage().contains("head width must be even, got 3"), e.getMessage());
    assertThrows(IllegalArgumentException.class, () -> Rope.of(Rope.Style.HALF, 1));
    assertThrows(IllegalArgumentException.class, () -> ScoreRule.of(-1, 0, 0));
    assertThrows(IllegalArgumentException.class, () -> ScoreRule.of(Double.NaN, -2, 0));
    e = assertThrows(IllegalArgumentException.class, () -> Rope.Style.parse("neox"));
    assertTrue(e.getMessage().contains("valid: half, interleaved"));
    // GQA weights: wk must produce kvHeads heads of the query heads' width
    Weights w = Weights.grouped(new Random(1), 6, 4, 2, 4, 1);
    w.wk = Matrices.gaussian(new Random(2), 6, 12, 1);
    w.bk = null;
    AttentionWeights kw = w.toKernel();
    e = assertThrows(IllegalArgumentException.class, () -> kw.validate(6, 6, 4, 2));
    assertTrue(
        e.getMessage()
            .contains(
                "queries are 16 wide (4 heads of 4) but keys 12 wide (2 key/value"
                    + " heads of 6): wk needs 8 columns"),
        e.getMessage());
  }
}
