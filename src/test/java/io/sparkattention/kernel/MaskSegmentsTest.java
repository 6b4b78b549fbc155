package io.sparkattention.kernel;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.sparkattention.fixtures.Allowed;
import java.util.Random;
import java.util.TreeSet;
import org.junit.jupiter.api.Test;

/**
 * {@link Mask#withSegments}: every answer of a segmented mask against a brute-force predicate
 * written from the definition (same segment, and the base mask's own rule from its kind), on random
 * segmentations of odd lengths for every kind.
 */
class MaskSegmentsTest {
  static final Mask[] BASES = {
    Mask.none(), Mask.causal(), Mask.window(0), Mask.window(3), Mask.causalWindow(2)
  };

  static long[] randomStarts(Random rnd, int n) {
    TreeSet<Long> s = new TreeSet<>();
    s.add(0L);
    int cuts = rnd.nextInt(Math.max(1, n / 3) + 1);
    for (int i = 0; i < cuts; i++) {
      s.add((long) rnd.nextInt(n));
    }
    return s.stream().mapToLong(Long::longValue).toArray();
  }

  /** segment[p]: the index of p's segment, from the starts by a linear scan. */
  static int[] labels(long[] starts, int n) {
    int[] seg = new int[n];
    for (int p = 0, i = 0; p < n; p++) {
      while (i + 1 < starts.length && starts[i + 1] <= p) {
        i++;
      }
      seg[p] = i;
    }
    return seg;
  }

  @Test
  void intervalsAndPairQueriesMatchTheDefinition() {
    Random rnd = new Random(3);
    for (int trial = 0; trial < 60; trial++) {
      int n = 1 + rnd.nextInt(41);
      long[] starts = randomStarts(rnd, n);
      int[] seg = labels(starts, n);
      for (Mask base : BASES) {
        Mask m = base.withSegments(starts);
        assertEquals(starts.length > 1, m.hasSegments());
        for (int q = 0; q < n; q++) {
          long lo = Long.MAX_VALUE;
          long hi = Long.MIN_VALUE;
          for (int k = 0; k < n; k++) {
            boolean want = seg[q] == seg[k] && Allowed.of(base).test(q, k);
            assertEquals(want, m.allows(q, k), base + " " + q + "," + k);
            if (want) {
              lo = Math.min(lo, k);
              hi = Math.max(hi, k);
            }
          }
          if (lo <= hi) { // the allowed keys, clipped to the sequence, are one interval
            assertEquals(lo, Math.max(0, m.firstKey(q)));
            assertEquals(hi, Math.min(n - 1, m.lastKey(q)));
          }
        }
        for (int r = 0; r < 40; r++) {
          int q0 = rnd.nextInt(n);
          int q1 = q0 + rnd.nextInt(n - q0);
          int k0 = rnd.nextInt(n);
          int k1 = k0 + rnd.nextInt(n - k0);
          boolean any = false;
          for (int q = q0; q <= q1; q++) {
            for (int k = k0; k <= k1; k++) {
              any |= seg[q] == seg[k] && Allowed.of(base).test(q, k);
            }
          }
          assertEquals(any, m.anyAllowed(q0, q1, k0, k1), base + " " + q0 + ".." + q1);
        }
      }
    }
  }

  @Test
  void oneSegmentIsTheBaseMaskAndSegmentsTakePartInEquality() {
    assertEquals(Mask.causal(), Mask.causal().withSegments(new long[] {0}));
    Mask a = Mask.window(2).withSegments(new long[] {0, 5});
    assertEquals(a, Mask.window(2).withSegments(new long[] {0, 5}));
    assertFalse(a.equals(Mask.window(2)));
    assertEquals(Mask.window(2), a.withoutSegments());
    assertTrue(a.toString().contains("2 segments"));
  }

  @Test
  void badStartsAreRefused() {
    assertThrows(IllegalArgumentException.class, () -> Mask.none().withSegments(new long[] {}));
    assertTrue(
        assertThrows(
                IllegalArgumentException.class, () -> Mask.none().withSegments(new long[] {1, 4}))
            .getMessage()
            .contains("position 0"));
    assertTrue(
        assertThrows(
                IllegalArgumentException.class,
                () -> Mask.none().withSegments(new long[] {0, 4, 4}))
            .getMessage()
            .contains("increase"));
  }
}
