package io.sparkattention.kernel.impl;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * Every {@link SoftmaxRows} implementation against plain loops written here, over range lengths 0 …
 * 70 (so every vector tail length occurs) and offsets that are not lane-aligned.
 */
class SoftmaxRowsTest {
  private static final double TOL = 1e-13;

  /** The scores {@link #softmaxRowBits} starts from. */
  private static final double[] ROW = randomRow(new Random(13), 1031);

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
  void softmaxRowGivesTheSameBitsInAnInterpretedJvmAsAfterTheJitCompiledIt() throws Exception {
    // A retried task on a fresh executor runs this code cold; it must write the bits a warm one
    // does. The Vector API's own EXP did not: interpreted it is Math.exp, compiled an SVML stub,
    // and they differ in the last bit. In this JVM the code is warm (other tests call it hundreds
    // of thousands of times, and the loop below makes sure), so the cold side runs in a child JVM
    // started with -Xint, where nothing is ever compiled.
    // Seen to fail (Nov 2026): with the vector loop's exp(...) replaced by the Vector API's
    // lanewise(VectorOperators.EXP) (the code before commit 1976d33), "vector(256-bit): score 39 is
    // 1.7770070899610778E-13 interpreted (-Xint) but 1.7770070899610776E-13 after 20,000 calls".
    // (Run alone in a fresh fork, the in-process first call differs too; after the rest of the
    // kernel suite has warmed the code it need not, hence the child JVM.) README, "Reliability",
    // cites this test.
    Map<String, long[]> first = new LinkedHashMap<>();
    Map<String, long[]> warm = new LinkedHashMap<>();
    Map<String, long[]> cold =
        coldRun(
            () -> {
              for (SoftmaxRows rows : implementations()) {
                first.put(rows.name(), softmaxRowBits(rows));
                long[] last = null;
                for (int it = 0; it < 20_000; it++) {
                  last = softmaxRowBits(rows);
                }
                warm.put(rows.name(), last);
              }
            });
    for (SoftmaxRows rows : implementations()) {
      long[] interpreted = cold.get(rows.name());
      assertNotNull(interpreted, rows.name() + " missing from the child's output " + cold.keySet());
      String after = "after 20,000 calls";
      assertSameBits(interpreted, "interpreted (-Xint)", warm.get(rows.name()), after, rows);
      // Also this JVM's first call, which may or may not have been compiled already.
      assertSameBits(
          first.get(rows.name()), "at this JVM's first call", warm.get(rows.name()), after, rows);
    }
  }

  private static void assertSameBits(
      long[] a, String aWhen, long[] b, String bWhen, SoftmaxRows rows) {
    assertEquals(a.length, b.length, rows.name());
    for (int j = 0; j < a.length; j++) {
      if (a[j] != b[j]) {
        throw new AssertionError(
            rows.name()
                + ": "
                + (j == a.length - 1 ? "the sum" : "score " + j)
                + " is "
                + Double.longBitsToDouble(a[j])
                + " "
                + aWhen
                + " but "
                + Double.longBitsToDouble(b[j])
                + " "
                + bWhen);
      }
    }
  }

  /**
   * A softmax row as the block kernel computes it: scores scaled and their max found, then {@code
   * exp(s - max)} and the sum; returns the raw bits of every score and, last, of the sum. The
   * scores span about [-60, 0] after the shift, so the exp sees many different arguments.
   */
  static long[] softmaxRowBits(SoftmaxRows rows) {
    double[] s = ROW.clone();
    double max = rows.scaleAndMax(s, 0, s.length, 1.7);
    double sum = rows.expAndSum(s, 0, s.length, max);
    long[] bits = new long[s.length + 1];
    for (int j = 0; j < s.length; j++) {
      bits[j] = Double.doubleToRawLongBits(s[j]);
    }
    bits[s.length] = Double.doubleToRawLongBits(sum);
    return bits;
  }

  /**
   * Runs {@link ColdRun} in a child JVM: this JVM's java binary and class path, {@code -Xint}, the
   * Vector API module; runs {@code meanwhile} in this JVM while it works. Returns its bits per
   * implementation name.
   */
  private static Map<String, long[]> coldRun(Runnable meanwhile) throws Exception {
    Path dir = Files.createTempDirectory("softmax-cold");
    Path out = dir.resolve("bits.txt");
    Path log = dir.resolve("child.log");
    try {
      List<String> command =
          List.of(
              Path.of(System.getProperty("java.home"), "bin", "java").toString(),
              "-Xint",
              "--add-modules=jdk.incubator.vector",
              "-cp",
              System.getProperty("java.class.path"),
              ColdRun.class.getName(),
              out.toString());
      Process child =
          new ProcessBuilder(command)
              .redirectErrorStream(true)
              .redirectOutput(log.toFile())
              .start();
      boolean finished = false;
      try {
        meanwhile.run();
      } finally {
        finished = child.waitFor(120, TimeUnit.SECONDS);
        if (!finished) {
          child.destroyForcibly().waitFor();
        }
      }
      if (!finished) {
        throw new AssertionError("the -Xint child JVM did not finish in 120 s: " + command);
      }
      String childLog = Files.readString(log);
      assertEquals(
          0, child.exitValue(), "the -Xint child JVM failed: " + command + "\n" + childLog);
      Map<String, long[]> byName = new LinkedHashMap<>();
      for (String line : Files.readAllLines(out)) {
        String[] fields = line.split(" ");
        long[] bits = new long[fields.length - 1];
        for (int j = 1; j < fields.length; j++) {
          bits[j - 1] = Long.parseUnsignedLong(fields[j], 16);
        }
        byName.put(fields[0], bits);
      }
      return byName;
    } finally {
      Files.deleteIfExists(out);
      Files.deleteIfExists(log);
      Files.deleteIfExists(dir);
    }
  }

  /**
   * The cold side of {@link #softmaxRowGivesTheSameBitsInAnInterpretedJvmAsAfterTheJitCompiledIt}:
   * {@code main(outputFile)} writes one line per implementation, its name and the hex bits of
   * {@link #softmaxRowBits}.
   */
  static final class ColdRun {
    public static void main(String[] args) throws IOException {
      StringBuilder text = new StringBuilder();
      for (SoftmaxRows rows : implementations()) {
        text.append(rows.name());
        for (long b : softmaxRowBits(rows)) {
          text.append(' ').append(Long.toHexString(b));
        }
        text.append('\n');
      }
      Files.writeString(Path.of(args[0]), text);
    }

    private ColdRun() {}
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
