package io.sparkattention.job;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.sparkattention.fixtures.Allowed;
import io.sparkattention.fixtures.Matrices;
import io.sparkattention.fixtures.OutputFiles;
import io.sparkattention.fixtures.PoolingReference;
import io.sparkattention.fixtures.ResultTables;
import io.sparkattention.fixtures.SoftmaxReference;
import io.sparkattention.fixtures.SparkTestSession;
import io.sparkattention.fixtures.TokenFiles;
import io.sparkattention.fixtures.Weights;
import io.sparkattention.spark.InputException;
import io.sparkattention.spark.attention.PyramidReduction;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import picocli.CommandLine;

/**
 * The attention job's pyramidal encoder ({@code --pyramid-levels}) against plain level-by-level
 * concatenation ({@link PoolingReference#pyramid}) and the {@link SoftmaxReference}: lengths not
 * divisible by 2^L or by the block size, heads, weights of the top level's width, one row per
 * top-level step; bad levels and weights of the input's width refused with nothing written.
 */
class PyramidAttentionSparkTest {
  static final int D = 3;

  /** Lengths 1, odd, even, not divisible by 2, 4 or 8, nor by the block sizes used. */
  static final int[] LENGTHS = {1, 6, 13, 37, 70};

  static SparkSession spark;
  @TempDir static Path tmp;

  /** Under ids s0, s1, … (Parquet); the JSON input takes the numbers 100, 101, … instead. */
  static TokenFiles tokens;

  static final Object[] JSON_IDS = {100L, 101L, 102L, 103L, 104L};

  @BeforeAll
  static void setUp() {
    spark = SparkTestSession.spark();
    tokens = TokenFiles.gaussian(new Random(77), D, LENGTHS, "s0", "s1", "s2", "s3", "s4");
  }

  static String writeParquet(Path path, long seed) {
    return tokens.writeParquet(spark, path, seed, 3);
  }

  static String writeJson(Path path) throws IOException {
    return tokens.withIds(JSON_IDS).writeJson(path, 5);
  }

  static Weights randomWeights(Random rnd, int width) {
    Weights w = new Weights();
    w.wq = Matrices.gaussian(rnd, width, width, 0.4);
    w.bq = Matrices.gaussian(rnd, 1, width, 0.4)[0];
    w.wk = Matrices.gaussian(rnd, width, width, 0.4);
    w.wv = Matrices.gaussian(rnd, width, width, 0.4);
    w.bv = Matrices.gaussian(rnd, 1, width, 0.4)[0];
    w.wo = Matrices.gaussian(rnd, width, width, 0.4);
    return w;
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
    Weights w = null;
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
    long written = JobRuns.attention(input, out, options.toArray(new String[0]));

    int expectedRows = 0;
    for (int n : LENGTHS) {
      expectedRows += (n + (1 << levels) - 1) >> levels; // ceil(n / 2^L)
    }
    assertEquals(expectedRows, written, "one row per top-level step");
    double[][][] want = new double[LENGTHS.length][][];
    for (int s = 0; s < LENGTHS.length; s++) {
      double[][] top = PoolingReference.pyramid(tokens.x[s], D, levels);
      want[s] = SoftmaxReference.multiHead(top, w, heads, Allowed.of(kind, window));
    }
    ResultTables.assertMatches(
        spark.read().format(json ? "json" : "parquet").load(out.toString()),
        json ? JSON_IDS : tokens.ids,
        want,
        1e-9);
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
                JobRuns.attention(
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
    OutputFiles.assertNoStaging(dir);
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
