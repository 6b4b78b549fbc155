package io.sparkattention.kernel;

import static io.sparkattention.fixtures.Matrices.rows;
import static io.sparkattention.fixtures.Matrices.toMatrix;
import static io.sparkattention.kernel.KernelAssert.REL_TOL;
import static io.sparkattention.kernel.KernelAssert.assertClose;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;

import io.sparkattention.fixtures.HardReference;
import io.sparkattention.fixtures.LocalPReference;
import io.sparkattention.fixtures.Matrices;
import io.sparkattention.fixtures.PoolingReference;
import io.sparkattention.fixtures.RefMask;
import io.sparkattention.fixtures.SoftmaxReference;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Random;
import java.util.TreeSet;
import java.util.stream.Stream;
import org.ejml.data.DMatrixRMaj;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The {@link MergeableState} algebra, written once and run over every implementation and every kind
 * of state built on it: soft attention under each mask, local-p, hard attention (argmax and
 * sampled) and attention pooling. Each {@link Family} cuts one seeded random problem into parts
 * along its keys (pooling: along its rows) and knows the answer for the whole from the independent
 * references ({@link SoftmaxReference}, {@link LocalPReference}, {@link HardReference}, {@link
 * PoolingReference}).
 *
 * <p>What is exact is compared bit for bit: identity, commutativity, and for hard attention
 * associativity and split-then-merge; soft associativity bit for bit for the row maxima, to 1e-12
 * for the output, and split-then-merge to 1e-12 against the unsplit state and to {@link
 * KernelAssert#REL_TOL} against the reference.
 */
class MergeableStateContractTest {
  private static final int D = 4;
  private static final int DV = 3;

  /**
   * One kind of state over one random problem whose {@link #keys} are the unit that splits: {@link
   * #over} makes the state of a contiguous range of them, so ranges that do not overlap are
   * disjoint key sets.
   */
  abstract static class Family<S extends MergeableState<S>> {
    private final String name;

    /** Whether associativity and split-then-merge hold bit for bit (hard attention). */
    final boolean exact;

    Family(String name, boolean exact) {
      this.name = name;
      this.exact = exact;
    }

    /** How many keys (rows, for pooling) the problem has. */
    abstract int keys();

    /** The state of keys {@code from … to-1}. */
    abstract S over(int from, int to);

    /** A state of the same kind and shape over keys that no row may see. */
    abstract S nothingAllowed();

    /** The reference output over all keys. */
    abstract double[][] reference();

    /** Every number the state holds, as bits. */
    abstract long[] bits(S s);

    /** The part of {@link #bits} that merges associatively bit for bit. */
    long[] associativeBits(S s) {
      return bits(s);
    }

    @Override
    public String toString() {
      return name;
    }
  }

  // ---------------------------------------------------------------- the families

  static Stream<Family<?>> families() {
    List<Family<?>> all = new ArrayList<>();
    RefMask[] masks = RefMask.allMasks();
    for (int i = 0; i < masks.length; i++) {
      for (int seed = 0; seed < 2; seed++) {
        all.add(soft(masks[i], 10 * i + seed));
      }
      all.add(hard(masks[i], false, 100 + i));
      all.add(hard(masks[i], true, 200 + i));
    }
    for (int seed = 0; seed < 4; seed++) {
      all.add(localP(300 + seed));
      all.add(pooling(400 + seed));
    }
    return all.stream();
  }

  /** A random problem: m queries at {@code qPos0 …} over n keys at {@code 0 …}. */
  private static final class Problem {
    final Random rnd;
    final int m;
    final int n;
    final long qPos0;
    final double[][] Q;
    final double[][] K;
    final double[][] V;

    Problem(long seed) {
      rnd = new Random(seed);
      m = 1 + rnd.nextInt(20);
      n = 1 + rnd.nextInt(80);
      qPos0 = rnd.nextInt(60);
      Q = Matrices.gaussian(rnd, m, D, 2);
      K = Matrices.gaussian(rnd, n, D, 2);
      V = Matrices.gaussian(rnd, n, DV, 1);
    }

    DMatrixRMaj q() {
      return toMatrix(Q, D);
    }

    DMatrixRMaj k(int from, int to) {
      return toMatrix(rows(K, from, to), D);
    }

    DMatrixRMaj v(int from, int to) {
      return toMatrix(rows(V, from, to), DV);
    }
  }

  static Family<PartialAttention> soft(RefMask mask, long seed) {
    Problem p = new Problem(seed);
    return new Family<>("soft " + mask + " seed " + seed, false) {
      @Override
      int keys() {
        return p.n;
      }

      @Override
      PartialAttention over(int from, int to) {
        return AttentionOps.partial(
            p.q(), p.qPos0, p.k(from, to), p.v(from, to), from, mask.kernel);
      }

      @Override
      PartialAttention nothingAllowed() {
        // every key after every query under a causal mask
        return AttentionOps.partial(p.q(), p.qPos0, p.k(0, p.n), p.v(0, p.n), 1000, Mask.causal());
      }

      @Override
      double[][] reference() {
        return SoftmaxReference.attention(p.Q, p.qPos0, p.K, p.V, 0, DV, mask.allowed);
      }

      @Override
      long[] bits(PartialAttention s) {
        return softBits(s);
      }

      @Override
      long[] associativeBits(PartialAttention s) {
        return softMaxima(s);
      }
    };
  }

  static Family<PartialAttention> localP(long seed) {
    Problem p = new Problem(seed);
    int halfWidth = 1 + p.rnd.nextInt(6);
    double[] centres = new double[p.m];
    for (int i = 0; i < p.m; i++) {
      centres[i] = p.rnd.nextDouble() * p.n;
    }
    return new Family<>("local-p D=" + halfWidth + " seed " + seed, false) {
      @Override
      int keys() {
        return p.n;
      }

      @Override
      PartialAttention over(int from, int to) {
        return localPState(from, p.k(from, to), p.v(from, to));
      }

      @Override
      PartialAttention nothingAllowed() {
        return localPState(p.n + 1000, p.k(0, p.n), p.v(0, p.n)); // beyond every window
      }

      private PartialAttention localPState(long kPos0, DMatrixRMaj K, DMatrixRMaj V) {
        PartialAttention state = PartialAttention.empty(p.m, DV);
        AttentionOps.accumulateLocalP(
            state, p.q(), centres, K, V, kPos0, halfWidth, new AttentionWorkspace());
        return state;
      }

      @Override
      double[][] reference() {
        return LocalPReference.localP(p.Q, p.K, p.V, DV, centres, halfWidth);
      }

      @Override
      long[] bits(PartialAttention s) {
        return softBits(s);
      }

      @Override
      long[] associativeBits(PartialAttention s) {
        return softMaxima(s);
      }
    };
  }

  static Family<HardAttention> hard(RefMask mask, boolean sampled, long seed) {
    Problem p = new Problem(seed);
    return new Family<>((sampled ? "sampled " : "argmax ") + mask + " seed " + seed, true) {
      @Override
      int keys() {
        return p.n;
      }

      @Override
      HardAttention over(int from, int to) {
        return hardState(from, p.k(from, to), p.v(from, to), mask.kernel);
      }

      @Override
      HardAttention nothingAllowed() {
        return hardState(1000, p.k(0, p.n), p.v(0, p.n), Mask.causal());
      }

      private HardAttention hardState(long kPos0, DMatrixRMaj K, DMatrixRMaj V, Mask kernelMask) {
        HardAttention state =
            sampled ? HardAttention.sampled(p.m, DV, seed) : HardAttention.argmax(p.m, DV);
        AttentionOps.accumulate(
            state, p.q(), p.qPos0, K, V, kPos0, kernelMask, new AttentionWorkspace());
        return state;
      }

      @Override
      double[][] reference() {
        long[] chosen =
            sampled
                ? HardReference.sampledChoice(p.Q, p.qPos0, p.K, 0, mask.allowed, seed)
                : HardReference.hardChoice(p.Q, p.qPos0, p.K, 0, mask.allowed);
        return HardReference.gather(chosen, p.V, 0, DV);
      }

      @Override
      long[] bits(HardAttention s) {
        long[] bits = new long[s.rows() * (2 + DV)];
        int at = 0;
        for (int i = 0; i < s.rows(); i++) {
          bits[at++] = Double.doubleToRawLongBits(s.bestScore(i));
          bits[at++] = s.chosenKey(i);
          for (int c = 0; c < DV; c++) {
            bits[at++] = Double.doubleToRawLongBits(s.chosenValue(i, c));
          }
        }
        return bits;
      }
    };
  }

  /** Attention pooling: one query (the context vector) over rows of H, which are the keys. */
  static Family<PartialAttention> pooling(long seed) {
    Random rnd = new Random(seed);
    int n = 1 + rnd.nextInt(60);
    int d = 5;
    int a = 3;
    double[][] H = Matrices.gaussian(rnd, n, d, 1);
    double[][] W = Matrices.gaussian(rnd, d, a, 1);
    double[] b = seed % 2 == 0 ? Matrices.gaussian(rnd, a, 0.5) : null;
    double[] u = Matrices.gaussian(rnd, a, 2);
    DMatrixRMaj Wm = toMatrix(W, a);
    return new Family<>("pooling n=" + n + " seed " + seed, false) {
      @Override
      int keys() {
        return n;
      }

      @Override
      PartialAttention over(int from, int to) {
        return PoolingOps.partial(toMatrix(rows(H, from, to), d), Wm, b, u);
      }

      @Override
      PartialAttention nothingAllowed() {
        return PoolingOps.partial(new DMatrixRMaj(0, d), Wm, b, u); // no rows to pool
      }

      @Override
      double[][] reference() {
        return new double[][] {PoolingReference.pool(H, d, W, b, u)};
      }

      @Override
      long[] bits(PartialAttention s) {
        return softBits(s);
      }

      @Override
      long[] associativeBits(PartialAttention s) {
        return softMaxima(s);
      }
    };
  }

  private static long[] softBits(PartialAttention s) {
    double[] values = s.weightedValues().data;
    long[] bits = new long[2 * s.rows() + values.length];
    for (int i = 0; i < s.rows(); i++) {
      bits[i] = Double.doubleToRawLongBits(s.max(i));
      bits[s.rows() + i] = Double.doubleToRawLongBits(s.sum(i));
    }
    for (int c = 0; c < values.length; c++) {
      bits[2 * s.rows() + c] = Double.doubleToRawLongBits(values[c]);
    }
    return bits;
  }

  private static long[] softMaxima(PartialAttention s) {
    long[] bits = new long[s.rows()];
    for (int i = 0; i < s.rows(); i++) {
      bits[i] = Double.doubleToRawLongBits(s.max(i));
    }
    return bits;
  }

  // ---------------------------------------------------------------- the properties

  @ParameterizedTest(name = "{0}")
  @MethodSource("families")
  void identityIsExactAndFullyMaskedRowsAreTheIdentity(Family<?> family) {
    identityHolds(family);
  }

  private static <S extends MergeableState<S>> void identityHolds(Family<S> f) {
    int n = f.keys();
    S a = f.over(n / 3, n);
    long[] before = f.bits(a);
    S id = a.identity();
    long[] identityBits = f.bits(id);
    assertArrayEquals(before, f.bits(a.merge(id)), "a ⊕ 0");
    assertArrayEquals(before, f.bits(id.merge(a)), "0 ⊕ a");
    assertArrayEquals(before, f.bits(a), "merge leaves its receiver alone");
    assertArrayEquals(identityBits, f.bits(id), "and its argument");
    // a row that saw no allowed key holds the identity's row, merges like it, outputs zeros
    S masked = f.nothingAllowed();
    assertArrayEquals(identityBits, f.bits(masked), "fully masked state vs identity");
    assertArrayEquals(before, f.bits(a.merge(masked)), "a ⊕ masked");
    assertArrayEquals(before, f.bits(masked.merge(a)), "masked ⊕ a");
    assertArrayEquals(new double[a.rows() * a.valueDim()], masked.output().data, "zeros");
    assertArrayEquals(new double[a.rows() * a.valueDim()], id.output().data, "zeros");
    // mergeFrom folds in place and returns this
    S b = f.over(0, n / 3);
    S target = a.copy();
    assertSame(target, target.mergeFrom(id).mergeFrom(b).mergeFrom(masked), "returns this");
    assertArrayEquals(f.bits(a.merge(b)), f.bits(target), "mergeFrom vs merge");
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("families")
  void mergeIsCommutativeBitForBit(Family<?> family) {
    commutativityHolds(family);
  }

  private static <S extends MergeableState<S>> void commutativityHolds(Family<S> f) {
    int n = f.keys();
    List<S> parts = parts(f, List.of(n / 4, n / 2, 3 * n / 4));
    for (int i = 0; i < parts.size(); i++) {
      for (int j = i + 1; j < parts.size(); j++) {
        S a = parts.get(i);
        S b = parts.get(j);
        assertArrayEquals(f.bits(a.merge(b)), f.bits(b.merge(a)), "parts " + i + ", " + j);
      }
    }
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("families")
  void mergeIsAssociative(Family<?> family) {
    associativityHolds(family);
  }

  private static <S extends MergeableState<S>> void associativityHolds(Family<S> f) {
    int n = f.keys();
    List<S> p = parts(f, List.of(n / 3, 2 * n / 3));
    S left = p.get(0).merge(p.get(1)).merge(p.get(2));
    S right = p.get(0).merge(p.get(1).merge(p.get(2)));
    assertArrayEquals(f.associativeBits(left), f.associativeBits(right), "(a⊕b)⊕c vs a⊕(b⊕c)");
    assertClose(left.output(), right.output(), f.exact ? 0.0 : 1e-12, "outputs");
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("families")
  void splitThenMergeEqualsUnsplit(Family<?> family) {
    splitThenMergeHolds(family, new Random(family.toString().hashCode()));
  }

  private static <S extends MergeableState<S>> void splitThenMergeHolds(Family<S> f, Random rnd) {
    int n = f.keys();
    S whole = f.over(0, n);
    for (int trial = 0; trial < 4; trial++) {
      TreeSet<Integer> cuts = new TreeSet<>();
      for (int c = rnd.nextInt(12); c > 0 && n > 1; c--) {
        cuts.add(1 + rnd.nextInt(n - 1));
      }
      List<S> parts = parts(f, new ArrayList<>(cuts));
      Collections.shuffle(parts, rnd);
      // a random binary tree: merge two random states until one is left
      while (parts.size() > 1) {
        S a = parts.remove(rnd.nextInt(parts.size()));
        S b = parts.remove(rnd.nextInt(parts.size()));
        parts.add(a.merge(b));
      }
      S merged = parts.get(0);
      String what = cuts.size() + 1 + " parts";
      if (f.exact) {
        assertArrayEquals(f.bits(whole), f.bits(merged), what + " vs unsplit");
      }
      assertClose(whole.output(), merged.output(), f.exact ? 0.0 : 1e-12, what + " vs unsplit");
      assertClose(f.reference(), merged.output(), f.exact ? 0.0 : REL_TOL, what + " vs reference");
      assertEquals(whole.rows(), merged.rows());
    }
  }

  /** The states of the key ranges between consecutive cuts (sorted, within 0 … keys). */
  private static <S extends MergeableState<S>> List<S> parts(Family<S> f, List<Integer> cuts) {
    List<S> parts = new ArrayList<>();
    int from = 0;
    List<Integer> ends = new ArrayList<>(cuts);
    ends.add(f.keys());
    for (int to : ends) {
      parts.add(f.over(from, to));
      from = to;
    }
    return parts;
  }
}
