package io.sparkattention.job;

import static io.sparkattention.fixtures.ResultTables.collect;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.fail;

import io.sparkattention.fixtures.SparkTestSession;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The attention job with a weights file ({@code --weights}), end to end: the projections against
 * the plain-loop reference's, and bit-identical results whatever the partitioning and row order.
 */
class AttentionJobWeightsSparkTest {
  static final int D = AttentionJobSample.D;

  static SparkSession spark;
  @TempDir static Path tmp;
  static AttentionJobSample sample;

  @BeforeAll
  static void setUp() throws IOException {
    spark = SparkTestSession.spark();
    sample = new AttentionJobSample(tmp);
  }

  static Stream<Arguments> weighted() {
    return Stream.of(
        Arguments.of("global", "blocks"),
        Arguments.of("causal", "single"),
        Arguments.of("local", "window"));
  }

  @ParameterizedTest(name = "{0} {1}")
  @MethodSource("weighted")
  void weightsMatchProjectionsByHand(String kind, String strategy) throws IOException {
    Path dir = Files.createTempDirectory(tmp, "weights");
    String input = sample.writeParquet(dir.resolve("in.parquet"), false, 5, 2);
    Path out = dir.resolve("out");
    List<String> options =
        new ArrayList<>(
            List.of(
                "--attention",
                kind,
                "--heads",
                "2",
                "--weights",
                sample.weightsFile.toString(),
                "--strategy",
                strategy,
                "--block-size",
                "16",
                "--query-tile-blocks",
                "2",
                "--key-tile-blocks",
                "3"));
    Integer window = kind.equals("local") ? 9 : null;
    if (window != null) {
      options.addAll(List.of("--window", String.valueOf(window)));
    }
    JobRuns.attention(input, out, options.toArray(new String[0]));
    sample.assertMatchesReference(
        spark.read().parquet(out.toString()), false, sample.weights, 2, kind, window);
  }

  @Test
  void blocksAreBitIdenticalWhateverThePartitioningAndRowOrder() throws IOException {
    Path dir = Files.createTempDirectory(tmp, "bits");
    int[][] variants = {{1, 1, 1}, {2, 3, 3}, {3, 5, 7}}; // shuffle seed, input files, --partitions
    List<Map<String, double[]>> results = new ArrayList<>();
    for (int[] v : variants) {
      String input = sample.writeParquet(dir.resolve("in-" + v[0] + ".parquet"), true, v[0], v[1]);
      Path out = dir.resolve("out-" + v[2]);
      JobRuns.attention(
          input,
          out,
          "--attention",
          "global",
          "--heads",
          "2",
          "--weights",
          sample.weightsFile.toString(),
          "--strategy",
          "blocks",
          "--block-size",
          "16",
          "--query-tile-blocks",
          "2",
          "--key-tile-blocks",
          "2",
          "--partitions",
          String.valueOf(v[2]));
      results.add(collect(spark.read().parquet(out.toString())));
    }
    sample.assertMatchesReference(
        spark.read().parquet(dir.resolve("out-1").toString()),
        true,
        sample.weights,
        2,
        "global",
        null);
    List<String> keys = new ArrayList<>(results.get(0).keySet());
    Collections.sort(keys);
    for (int r = 1; r < results.size(); r++) {
      assertEquals(results.get(0).keySet(), results.get(r).keySet());
      for (String k : keys) {
        double[] a = results.get(0).get(k);
        double[] b = results.get(r).get(k);
        for (int c = 0; c < D; c++) {
          if (Double.doubleToRawLongBits(a[c]) != Double.doubleToRawLongBits(b[c])) {
            fail(
                "--partitions "
                    + variants[r][2]
                    + " differs from --partitions 1 at "
                    + k
                    + "["
                    + c
                    + "]: "
                    + a[c]
                    + " vs "
                    + b[c]);
          }
        }
      }
    }
  }
}
