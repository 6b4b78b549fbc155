package io.sparkattention.job;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.sparkattention.fixtures.SparkTestSession;
import io.sparkattention.spark.InputException;
import io.sparkattention.spark.attention.PyramidReduction;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Random;
import org.apache.spark.ml.linalg.Vectors;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.DataTypes;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import picocli.CommandLine;

/**
 * The attention job's pyramidal encoder ({@code --pyramid-levels}) against plain level-by-level
 * concatenation written here and {@link AttentionJobSparkTest#reference}: lengths not divisible by
 * 2^L or by the block size, heads, weights of the top level's width, one row per top-level step;
 * bad levels and weights of the input's width refused with nothing written.
 */
class PyramidAttentionSparkTest {
  static final int D = 3;

  /** Lengths 1, odd, even, not divisible by 2, 4 or 8, nor by the block sizes used. */
  static final int[] LENGTHS = {1, 6, 13, 37, 70};

  static SparkSession spark;
  @TempDir static Path tmp;
  static double[][][] seqs;

  @BeforeAll
  static void setUp() {
    spark = SparkTestSession.spark();
    Random rnd = new Random(77);
    seqs = new double[LENGTHS.length][][];
    for (int s = 0; s < LENGTHS.length; s++) {
      seqs[s] = AttentionJobSparkTest.gaussian(rnd, LENGTHS[s], D, 1.0);
    }
  }

  /** One level: row q = x_{2q} | x_{2q+1}, the second half zeros when x_{2q+1} does not exist. */
  static double[][] concatenateAdjacent(double[][] X) {
    int d = X[0].length;
    int n = X.length;
    double[][] Y = new double[(n + 1) / 2][2 * d];
    for (int q = 0; q < Y.length; q++) {
      for (int c = 0; c < d; c++) {
        Y[q][c] = X[2 * q][c];
        Y[q][d + c] = 2 * q + 1 < n ? X[2 * q + 1][c] : 0.0;
      }
    }
    return Y;
  }

  static double[][] pyramid(double[][] X, int levels) {
    double[][] Y = X;
    for (int l = 0; l < levels; l++) {
      Y = concatenateAdjacent(Y);
    }
    return Y;
  }

  static String writeParquet(Path path, long seed) {
    List<Row> rows = new ArrayList<>();
    for (int s = 0; s < LENGTHS.length; s++) {
      for (int p = 0; p < LENGTHS[s]; p++) {
        rows.add(RowFactory.create("s" + s, p, Vectors.dense(seqs[s][p])));
      }
    }
    Collections.shuffle(rows, new Random(seed));
    spark
        .createDataFrame(
            rows, AttentionJobSparkTest.schema(DataTypes.StringType, DataTypes.IntegerType))
        .repartition(3)
        .write()
        .parquet(path.toString());
    return path.toString();
  }

  static String writeJson(Path path) throws IOException {
    List<String> lines = new ArrayList<>();
    for (int s = 0; s < LENGTHS.length; s++) {
      for (int p = 0; p < LENGTHS[s]; p++) {
        lines.add(
            AttentionJobSparkTest.line(
                String.valueOf(100 + s),
                String.valueOf(p),
                AttentionJobSparkTest.json(seqs[s][p])));
      }
    }
    Collections.shuffle(lines, new Random(5));
    Files.write(path, lines, StandardCharsets.UTF_8);
    return path.toString();
  }

  static AttentionJobSparkTest.Weights randomWeights(Random rnd, int width) {
    AttentionJobSparkTest.Weights w = new AttentionJobSparkTest.Weights();
    w.wq = AttentionJobSparkTest.gaussian(rnd, width, width, 0.4);
    w.bq = AttentionJobSparkTest.gaussian(rnd, 1, width, 0.4)[0];
    w.wk = AttentionJobSparkTest.gaussian(rnd, width, width, 0.4);
    w.wv = AttentionJobSparkTest.gaussian(rnd, width, width, 0.4);
    w.bv = AttentionJobSparkTest.gaussian(rnd, 1, width, 0.4)[0];
    w.wo = AttentionJobSparkTest.gaussian(rnd, width, width, 0.4);
    return w;
  }

  static long run(String input, Path out, String... options) {
    AttentionJob job = new AttentionJob();
    new CommandLine(job).parseArgs(AttentionJobSparkTest.withIo(input, out, options));
    return AttentionJob.run(spark, job.config());
  }

  @ParameterizedTest(name = "L={0} {1} heads={2} {3} B={4} weights={5} json={6}")
  @CsvSource({
    "1, global, 1, blocks, 4, false, false",
    "2, causal, 2, blocks, 3, true, false",
    "3, global, 2, auto, 5, true, true",
    "2, local, 1, window, 4, false, true"
  })
  void pyramidThenAttentionMatchesPlainConcatenationAndReference(
      int levels,
      String kind,
      int heads,
      String strategy,
      int blockSize,
      boolean withWeights,
      boolean json)
      throws IOException {
    Path dir = Files.createTempDirectory(tmp, "pyramid");
    String input = json ? writeJson(dir.resolve("in.jsonl")) : writeParquet(dir.resolve("in"), 3);
    int topWidth = D << levels;
    AttentionJobSparkTest.Weights w = null;
    List<String> options =
        new ArrayList<>(
            List.of(
                "--attention",
                kind,
                "--heads",
                String.valueOf(heads),
                "--strategy",
                strategy,
                "--block-size",
                String.valueOf(blockSize),
                "--query-tile-blocks",
                "1",
                "--key-tile-blocks",
                "2",
                "--pyramid-levels",
                String.valueOf(levels)));
    Integer window = kind.equals("local") ? 2 : null;
    if (window != null) {
      options.addAll(List.of("--window", String.valueOf(window)));
    }
    if (withWeights) {
      w = randomWeights(new Random(levels), topWidth);
      Path wf = dir.resolve("w.json");
      Files.writeString(wf, w.toJson());
      options.addAll(List.of("--weights", wf.toString()));
    }
    Path out = dir.resolve("out");
    long written = run(input, out, options.toArray(new String[0]));

    int expectedRows = 0;
    for (int n : LENGTHS) {
      expectedRows += (n + (1 << levels) - 1) >> levels; // ceil(n / 2^L)
    }
    assertEquals(expectedRows, written, "one row per top-level step");
    Map<String, double[]> got =
        AttentionJobSparkTest.collect(
            spark.read().format(json ? "json" : "parquet").load(out.toString()));
    assertEquals(expectedRows, got.size());
    double worst = 0;
    String worstAt = "";
    for (int s = 0; s < LENGTHS.length; s++) {
      double[][] top = pyramid(seqs[s], levels);
      double[][] want = AttentionJobSparkTest.reference(top, w, heads, kind, window);
      Object id = json ? (Object) (100L + s) : "s" + s;
      for (int p = 0; p < top.length; p++) {
        double[] row = got.get(AttentionJobSparkTest.key(id, p));
        assertTrue(row != null, "no row for " + id + "/" + p);
        assertEquals(topWidth, row.length, "width 2^L·d");
        for (int c = 0; c < row.length; c++) {
          double err = Math.abs(row[c] - want[p][c]) / Math.max(1.0, Math.abs(want[p][c]));
          if (!(err <= worst)) {
            worst = err;
            worstAt = id + "/" + p + "[" + c + "]";
          }
        }
      }
    }
    assertTrue(
        worst <= 1e-9,
        String.format(Locale.ROOT, "worst relative error %.3g at %s", worst, worstAt));
  }

  @Test
  void levelsReportEveryLevelsLengths() {
    List<PyramidReduction.Level> levels =
        PyramidReduction.levels(new long[] {1, 6, 13, 37, 70}, 3, 3);
    assertEquals(4, levels.size());
    long[][] want = {{1, 6, 13, 37, 70}, {1, 3, 7, 19, 35}, {1, 2, 4, 10, 18}, {1, 1, 2, 5, 9}};
    for (int l = 0; l <= 3; l++) {
      assertArrayEquals(want[l], levels.get(l).lengths(), "level " + l);
      assertEquals(3 << l, levels.get(l).width());
    }
    assertEquals(18, levels.get(3).steps());
    assertEquals(9, levels.get(3).longest());
    assertEquals(
        "pyramid level 3: 18 steps of width 24 in 5 sequence(s), longest 9 (lengths 1, 1, 2, 5, 9)",
        levels.get(3).describe());
  }

  @Test
  void weightsOfTheInputWidthAreRefusedNamingTheTopWidth() throws IOException {
    Path dir = Files.createTempDirectory(tmp, "badweights");
    String input = writeParquet(dir.resolve("in"), 1);
    Path wf = dir.resolve("w.json");
    Files.writeString(wf, randomWeights(new Random(1), D).toJson());
    Path out = dir.resolve("out");
    InputException e =
        assertThrows(
            InputException.class,
            () ->
                run(
                    input,
                    out,
                    "--attention",
                    "global",
                    "--pyramid-levels",
                    "2",
                    "--weights",
                    wf.toString()));
    assertTrue(
        e.getMessage()
            .contains(
                "do not fit the pyramid's top-level vectors of width 12 (--pyramid-levels 2 over"
                    + " width 3"),
        e.getMessage());
    assertTrue(e.getMessage().contains("wq is 3×3"), e.getMessage());
    assertFalse(Files.exists(out), "nothing written");
    AttentionJobSparkTest.assertNoStaging(dir);
  }

  @ParameterizedTest
  @CsvSource({"-1", "11"})
  void levelsOutOfRangeAreRefused(int levels) {
    AttentionJob job = new AttentionJob();
    new CommandLine(job)
        .parseArgs(
            "--input",
            "in.parquet",
            "--output",
            "out",
            "--attention",
            "global",
            "--pyramid-levels",
            String.valueOf(levels));
    InputException e = assertThrows(InputException.class, job::config);
    assertEquals("--pyramid-levels must be between 0 and 10, got " + levels, e.getMessage());
  }
}
