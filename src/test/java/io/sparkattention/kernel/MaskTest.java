package io.sparkattention.kernel;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.sparkattention.fixtures.RefMask;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/** {@link Mask#allows} and {@link Mask#anyAllowed} against brute force over the definitions. */
class MaskTest {

  @ParameterizedTest(name = "{0}")
  @MethodSource("io.sparkattention.fixtures.RefMask#allMasks")
  void allowsAgreesWithDefinition(RefMask mask) {
    for (long q = -60; q <= 60; q++) {
      for (long k = -60; k <= 60; k++) {
        assertEquals(
            mask.allowed.test(q, k), mask.kernel.allows(q, k), mask + " q=" + q + " k=" + k);
      }
    }
  }

  /** Every pair of ranges in [-4, 11] (including empty ones, q0 > q1 or k0 > k1). */
  @ParameterizedTest(name = "{0}")
  @MethodSource("io.sparkattention.fixtures.RefMask#allMasks")
  void anyAllowedAgreesWithBruteForceExhaustively(RefMask mask) {
    int lo = -4;
    int hi = 11;
    for (long q0 = lo; q0 <= hi; q0++) {
      for (long q1 = q0 - 1; q1 <= hi; q1++) {
        for (long k0 = lo; k0 <= hi; k0++) {
          for (long k1 = k0 - 1; k1 <= hi; k1++) {
            assertEquals(
                bruteForce(mask, q0, q1, k0, k1),
                mask.kernel.anyAllowed(q0, q1, k0, k1),
                mask + " q=[" + q0 + "," + q1 + "] k=[" + k0 + "," + k1 + "]");
          }
        }
      }
    }
  }

  /** Random ranges over a wider span, so that the window of 50 and far-apart blocks are covered. */
  @ParameterizedTest(name = "{0}")
  @MethodSource("io.sparkattention.fixtures.RefMask#allMasks")
  void anyAllowedAgreesWithBruteForceOnRandomRanges(RefMask mask) {
    Random rnd = new Random(mask.name.hashCode());
    for (int t = 0; t < 3000; t++) {
      long q0 = rnd.nextInt(400) - 100;
      long q1 = q0 + rnd.nextInt(80) - 2;
      long k0 = rnd.nextInt(400) - 100;
      long k1 = k0 + rnd.nextInt(80) - 2;
      assertEquals(
          bruteForce(mask, q0, q1, k0, k1),
          mask.kernel.anyAllowed(q0, q1, k0, k1),
          mask + " q=[" + q0 + "," + q1 + "] k=[" + k0 + "," + k1 + "]");
    }
  }

  private static boolean bruteForce(RefMask mask, long q0, long q1, long k0, long k1) {
    for (long q = q0; q <= q1; q++) {
      for (long k = k0; k <= k1; k++) {
        if (mask.allowed.test(q, k)) {
          return true;
        }
      }
    }
    return false;
  }

  @Test
  void knownBlocks() {
    // causal: the block above the diagonal is skipped, the diagonal block is not
    assertFalse(Mask.causal().anyAllowed(0, 63, 64, 127));
    assertTrue(Mask.causal().anyAllowed(64, 127, 64, 127));
    assertTrue(Mask.causal().anyAllowed(64, 127, 0, 63));
    // causalWindow(3): queries 10..19 reach back to key 7 at most
    assertTrue(Mask.causalWindow(3).anyAllowed(10, 19, 0, 7));
    assertFalse(Mask.causalWindow(3).anyAllowed(10, 19, 0, 6));
    // window(2): queries 10..19 see keys 8..21
    assertTrue(Mask.window(2).anyAllowed(10, 19, 21, 30));
    assertFalse(Mask.window(2).anyAllowed(10, 19, 22, 30));
  }

  @Test
  void valueSemantics() {
    assertEquals(Mask.window(3), Mask.window(3));
    assertEquals(Mask.window(3).hashCode(), Mask.window(3).hashCode());
    assertNotEquals(Mask.window(3), Mask.causalWindow(3));
    assertNotEquals(Mask.window(3), Mask.window(4));
    assertEquals("causalWindow(5)", Mask.causalWindow(5).toString());
    assertEquals(Mask.Kind.CAUSAL, Mask.causal().kind());
    assertEquals(7, Mask.window(7).window());
  }
}
