package io.sparkattention.cost;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Map;
import org.junit.jupiter.api.Test;

/** The 2× crossover: interpolated in log n and log ratio, and its edge cases. */
class CrossoverTest {
  @Test
  void interpolatesInLogLengthAndLogRatio() {
    // ratio 1 at n = 1000, 4 at n = 4000: log 2 is halfway from log 1 to log 4, so n is halfway
    // from log 1000 to log 4000: √(1000 · 4000) = 2000.
    Crossover.Result r = Crossover.of("measured", 16, Map.of(1000L, 1.0, 4000L, 4.0, 500L, 0.5));
    assertEquals(2000, r.length());
    assertFalse(r.below());
    assertTrue(r.describe().contains("above n ≈ 2,000"), r.describe());
  }

  @Test
  void alreadyAboveOrNeverAbove() {
    Crossover.Result above = Crossover.of("measured", 8, Map.of(1000L, 3.0, 2000L, 5.0));
    assertTrue(above.below());
    assertTrue(above.describe().contains("already at n = 1000"), above.describe());
    Crossover.Result never = Crossover.of("measured", 8, Map.of(1000L, 1.0, 2000L, 1.5));
    assertEquals(-1, never.length());
    assertTrue(never.describe().contains("not 2× cheaper than global up to n = 2000"));
  }

  @Test
  void predictedRatioPassesTwoWhereTheKernelWorkDoes() {
    // Kernel-bound model (no fixed costs): global computes n² pairs; local with w = 16 and blocks
    // of 64 computes each query block against itself and its two neighbours, about 3 · 64 · n
    // pairs. The ratio n / 192 passes 2 near n = 384, and certainly between 64 and 4096.
    TimeModel kernelOnly = new TimeModel(1e9, 1e300, 1e300, 0, 0, 1, 1L << 40);
    Crossover.Result r = Crossover.predict(kernelOnly, 16, 64, 1, 8, 64);
    assertTrue(r.length() > 64 && r.length() < 4096, "crossover " + r.length());
    assertEquals("predicted", r.what());
  }
}
