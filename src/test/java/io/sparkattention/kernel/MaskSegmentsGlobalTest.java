package io.sparkattention.kernel;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.sparkattention.fixtures.Allowed;
import io.sparkattention.fixtures.HardReference;
import io.sparkattention.fixtures.Matrices;
import io.sparkattention.fixtures.SoftmaxReference;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Random;
import java.util.Set;
import org.ejml.data.DMatrixRMaj;
import org.junit.jupiter.api.Test;

/**
 * Global tokens with packed documents ({@link Mask#withSegments} and {@link
 * Mask#withGlobalPositions} together): on random segmentations × random global sets (none, a
 * prefix, scattered, every position) × every mask kind, the kernel's allowed set ({@link
 * Mask#allows}, {@link Mask#anyAllowed}, and the keys the block kernels fold, soft and hard, over
 * random key blocks and over gathered global keys) equals the fixtures' {@link
 * Allowed#packedWithGlobals} predicate, written from the definition; rows with no allowed key in a
 * block stay defined.
 */
class MaskSegmentsGlobalTest {
  static final Mask[] BASES = {
    Mask.none(),
    Mask.causal(),
    Mask.window(0),
    Mask.window(3),
    Mask.causalWindow(0),
    Mask.causalWindow(2)
  };

  /** None, a prefix of 1 … 3, scattered, or every position, by {@code kind}. */
  static long[] randomGlobals(Random rnd, int n, int kind) {
    List<Long> g = new ArrayList<>();
    for (int p = 0; p < n; p++) {
      boolean in = kind == 1 ? p < 1 + rnd.nextInt(3) : kind == 2 ? rnd.nextInt(4) == 0 : kind == 3;
      if (in) {
        g.add((long) p);
      }
    }
    return g.stream().mapToLong(Long::longValue).toArray();
  }

  static Set<Long> set(long[] positions) {
    Set<Long> s = new HashSet<>();
    for (long p : positions) {
      s.add(p);
    }
    return s;
  }

  static Allowed reference(Mask base, int[] label, long[] globals) {
    return Allowed.packedWithGlobals(label, Allowed.of(base), set(globals), base.isCausal());
  }

  @Test
  void allowedPairsAndRectanglesMatchTheDefinition() {
    Random rnd = new Random(15);
    for (int trial = 0; trial < 40; trial++) {
      int n = 1 + rnd.nextInt(37);
      long[] starts = MaskSegmentsTest.randomStarts(rnd, n);
      int[] label = MaskSegmentsTest.labels(starts, n);
      long[] globals = randomGlobals(rnd, n, trial % 4);
      for (Mask base : BASES) {
        Mask m = base.withSegments(starts).withGlobalPositions(globals);
        // either order of building gives the same mask
        assertEquals(m, base.withGlobalPositions(globals).withSegments(starts));
        Allowed want = reference(base, label, globals);
        String what = base + " starts " + java.util.Arrays.toString(starts) + " G " + set(globals);
        boolean[][] allowed = new boolean[n][n];
        for (int q = 0; q < n; q++) {
          for (int k = 0; k < n; k++) {
            allowed[q][k] = want.test(q, k);
            assertEquals(allowed[q][k], m.allows(q, k), what + " (" + q + ", " + k + ")");
          }
        }
        for (int r = 0; r < 60; r++) {
          int q0 = rnd.nextInt(n);
          int q1 = q0 + rnd.nextInt(n - q0);
          int k0 = rnd.nextInt(n);
          int k1 = k0 + rnd.nextInt(n - k0);
          boolean any = false;
          for (int q = q0; q <= q1; q++) {
            for (int k = k0; k <= k1; k++) {
              any |= allowed[q][k];
            }
          }
          assertEquals(
              any,
              m.anyAllowed(q0, q1, k0, k1),
              what + " [" + q0 + "," + q1 + "]x[" + k0 + "," + k1 + "]");
        }
      }
    }
  }

  /**
   * The block kernels: a query block at a random offset folds the keys in random blocks (soft and
   * hard), or only the global keys gathered; each equals the reference over the same keys.
   */
  @Test
  void theBlockKernelsFoldExactlyTheAllowedKeys() {
    Random rnd = new Random(16);
    int d = 3;
    int dv = 2;
    AttentionWorkspace ws = new AttentionWorkspace();
    for (int trial = 0; trial < 16; trial++) {
      int n = 1 + rnd.nextInt(29);
      long[] starts = MaskSegmentsTest.randomStarts(rnd, n);
      int[] label = MaskSegmentsTest.labels(starts, n);
      long[] globals = randomGlobals(rnd, n, trial % 4);
      double[][] q = Matrices.gaussian(rnd, n, d, 1.0);
      double[][] k = Matrices.gaussian(rnd, n, d, 1.0);
      double[][] v = Matrices.gaussian(rnd, n, dv, 1.0);
      int q0 = rnd.nextInt(n);
      int q1 = q0 + 1 + rnd.nextInt(n - q0);
      double[][] qBlock = Matrices.rows(q, q0, q1);
      DMatrixRMaj Q = Matrices.toMatrix(qBlock);
      for (Mask base : BASES) {
        Mask m = base.withSegments(starts).withGlobalPositions(globals);
        Allowed want = reference(base, label, globals);
        String what = base + " starts " + java.util.Arrays.toString(starts) + " G " + set(globals);
        // soft and hard over the keys cut into random blocks
        PartialAttention soft = PartialAttention.empty(q1 - q0, dv);
        HardAttention hard = HardAttention.argmax(q1 - q0, dv);
        for (int k0 = 0; k0 < n; ) {
          int k1 = Math.min(n, k0 + 1 + rnd.nextInt(9));
          DMatrixRMaj K = Matrices.toMatrix(Matrices.rows(k, k0, k1));
          DMatrixRMaj V = Matrices.toMatrix(Matrices.rows(v, k0, k1));
          AttentionOps.accumulate(soft, Q, q0, K, V, k0, m, ws);
          AttentionOps.accumulate(hard, Q, q0, K, V, k0, m, ws);
          k0 = k1;
        }
        double[][] softWant = SoftmaxReference.attention(qBlock, q0, k, v, 0, dv, want);
        assertClose(softWant, Matrices.toArray(soft.output()), what + " soft");
        double[][] hardWant =
            HardReference.gather(HardReference.hardChoice(qBlock, q0, k, 0, want), v, 0, dv);
        assertClose(hardWant, Matrices.toArray(hard.output()), what + " hard");
        // only the global keys, gathered
        if (globals.length > 0) {
          double[][] kg = new double[globals.length][];
          double[][] vg = new double[globals.length][];
          for (int j = 0; j < globals.length; j++) {
            kg[j] = k[(int) globals[j]];
            vg[j] = v[(int) globals[j]];
          }
          PartialAttention gathered = PartialAttention.empty(q1 - q0, dv);
          AttentionOps.accumulateGathered(
              gathered,
              Q,
              q0,
              Matrices.toMatrix(kg),
              Matrices.toMatrix(vg),
              globals,
              m,
              ScoreRule.standard(),
              ws);
          Allowed onGathered = (qp, j) -> want.test(qp, globals[(int) j]);
          double[][] gatheredWant =
              SoftmaxReference.attention(qBlock, q0, kg, vg, 0, dv, onGathered);
          assertClose(gatheredWant, Matrices.toArray(gathered.output()), what + " gathered");
        }
      }
    }
  }

  static void assertClose(double[][] want, double[][] got, String what) {
    for (int i = 0; i < want.length; i++) {
      for (int c = 0; c < want[i].length; c++) {
        assertTrue(Double.isFinite(got[i][c]), what + ": row " + i + " not finite");
        assertEquals(want[i][c], got[i][c], 1e-12 * Math.max(1, Math.abs(want[i][c])), what);
      }
    }
  }
}
