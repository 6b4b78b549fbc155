package io.sparkattention.plan;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.sparkattention.fixtures.Allowed;
import io.sparkattention.kernel.Mask;

/** The plan tests' check of a mask's pair counts on rectangles against a brute-force count. */
final class RectanglePairs {
  private RectanglePairs() {}

  /**
   * Over positions {@code [0, n)}, for query ranges {@code [qs, qe)} and key ranges {@code [ks,
   * ke)} stepped by {@code steps} = {qs, qe − qs, ks, ke − ks}: {@link MaskPairs#count} and {@link
   * MaskPairs#byLoop} equal the pairs {@code allowed} counts, and {@link Mask#anyAllowed} says
   * whether there is any.
   */
  static void assertCountsMatchTheBruteForce(Mask m, Allowed allowed, long n, int... steps) {
    for (long qs = 0; qs < n; qs += steps[0]) {
      for (long qe = qs; qe <= n; qe += steps[1]) {
        for (long ks = 0; ks < n; ks += steps[2]) {
          for (long ke = ks; ke <= n; ke += steps[3]) {
            long brute = 0;
            for (long q = qs; q < qe; q++) {
              for (long k = ks; k < ke; k++) {
                brute += allowed.test(q, k) ? 1 : 0;
              }
            }
            String where = m + " [" + qs + "," + qe + ")x[" + ks + "," + ke + ")";
            assertEquals(brute, MaskPairs.count(m, qs, qe, ks, ke), where);
            assertEquals(brute, MaskPairs.byLoop(m, qs, qe, ks, ke), where);
            assertEquals(
                brute > 0,
                qs < qe && ks < ke && m.anyAllowed(qs, qe - 1, ks, ke - 1),
                "anyAllowed " + where);
          }
        }
      }
    }
  }
}
