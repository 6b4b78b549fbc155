package io.sparkattention.kernel.impl;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * Every {@link SoftmaxRows} implementation against plain loops written here, over range lengths 0 …
 * 70 (so every vector tail length occurs) and offsets that are not lane-aligned.
 */
class SoftmaxRowsTest {
  private static final double TOL = 1e-13;

  static List<SoftmaxRows> implementations() {
    List<SoftmaxRows> all = new ArrayList<>();
    all.add(SoftmaxRows.scalar());
    SoftmaxRows vector = SoftmaxRows.vectorOrNull();
    if (vector != null) {
      all.add(vector);
    }
    return all;
  }

  @Test
  void vectorIsAvailableInTheTestJvm() {
    // The surefire argLine adds the module; without it this suite would test only the scalar path.
    assertNotNull(SoftmaxRows.vectorOrNull(), "run with --add-modules=jdk.incubator.vector");
  }

  @Test
  void scaleAndMaxMatchesPlainLoop() {
    Random rnd = new Random(11);
    for (SoftmaxRows rows : implementations()) {
      for (int len = 0; len <= 70; len++) {
        for (int from : new int[] {0, 1, 3, 5}) {
          double[] s = randomRow(rnd, from + len + 4);
          double[] expected = s.clone();
          double max = Double.NEGATIVE_INFINITY;
          for (int j = from; j < from + len; j++) {
            expected[j] = s[j] * 0.125;
            max = Math.max(max, expected[j]);
          }
          double got = rows.scaleAndMax(s, from, from + len, 0.125);
          assertEquals(max, got, 0.0, rows.name() + " len " + len);
          for (int j = 0; j < s.length; j++) {
            assertEquals(expected[j], s[j], 0.0, rows.name() + " len " + len + " j " + j);
          }
        }
      }
    }
  }

  @Test
  void expAndSumMatchesPlainLoop() {
    Random rnd = new Random(12);
    for (SoftmaxRows rows : implementations()) {
      for (int len = 0; len <= 70; len++) {
        for (int from : new int[] {0, 2, 7}) {
          double[] s = randomRow(rnd, from + len + 3);
          double shift = 3.5;
          double[] expected = s.clone();
          double sum = 0;
          for (int j = from; j < from + len; j++) {
            expected[j] = Math.exp(s[j] - shift);
            sum += expected[j];
          }
          double got = rows.expAndSum(s, from, from + len, shift);
          assertEquals(sum, got, TOL * Math.max(1, sum), rows.name() + " len " + len);
          for (int j = 0; j < s.length; j++) {
            assertEquals(
                expected[j],
                s[j],
                TOL * Math.abs(expected[j]),
                rows.name() + " len " + len + " j " + j);
          }
        }
      }
    }
  }

  @Test
  void expOfLargeNegativeUnderflowsToZeroNotNaN() {
    for (SoftmaxRows rows : implementations()) {
      double[] s = new double[37];
      java.util.Arrays.fill(s, -1e4);
      s[5] = 0;
      double sum = rows.expAndSum(s, 0, s.length, 0.0);
      assertEquals(1.0, sum, 0.0, rows.name());
      for (int j = 0; j < s.length; j++) {
        assertTrue(s[j] == (j == 5 ? 1.0 : 0.0), rows.name() + " j " + j + ": " + s[j]);
      }
    }
  }

  @Test
  void expAndSumGiveTheSameBitsColdAndAfterTheJitCompiledThem() {
    // A retried task on a fresh executor runs this code cold; it must write the bits a warm one
    // does. (The Vector API's own EXP did not: SVML when compiled, Math.exp before.)
    for (SoftmaxRows rows : implementations()) {
      Random rnd = new Random(13);
      double[] row = randomRow(rnd, 1031);
      double[] first = row.clone();
      long firstSum = Double.doubleToRawLongBits(rows.expAndSum(first, 0, first.length, 0.5));
      for (int it = 0; it < 20_000; it++) {
        double[] s = row.clone();
        long sum = Double.doubleToRawLongBits(rows.expAndSum(s, 0, s.length, 0.5));
        if (sum != firstSum || !java.util.Arrays.equals(s, first)) {
          throw new AssertionError(
              rows.name() + ": other bits at call " + it + " than at the first");
        }
      }
    }
  }

  @Test
  void vectorExpIsWithinOneUlpOfMathExpOverTheWholeRange() {
    SoftmaxRows vector = SoftmaxRows.vectorOrNull();
    double[] s = new double[8];
    for (double x = -745.3; x < 709.78; x += 0.00731) {
      java.util.Arrays.fill(s, x);
      vector.expAndSum(s, 0, s.length, 0.0);
      double e = Math.exp(x);
      assertTrue(Math.abs(s[0] - e) <= Math.ulp(e), "exp(" + x + ") = " + s[0] + ", not " + e);
    }
    double[] edges = {
      Double.NaN, Double.NEGATIVE_INFINITY, Double.POSITIVE_INFINITY, -746, -745, 709.78, 0, -1e4
    };
    double[] got = edges.clone();
    vector.expAndSum(got, 0, got.length, 0.0);
    for (int i = 0; i < edges.length; i++) {
      assertEquals(Math.exp(edges[i]), got[i], 0.0, "exp(" + edges[i] + ")");
    }
  }

  private static double[] randomRow(Random rnd, int n) {
    double[] s = new double[n];
    for (int j = 0; j < n; j++) {
      s[j] = rnd.nextGaussian() * 4;
    }
    return s;
  }
}
