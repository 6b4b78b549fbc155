package io.sparkattention.spark.attention;

import static org.apache.spark.sql.functions.col;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.sparkattention.fixtures.EngineInUse;
import io.sparkattention.fixtures.InjectedFaults;
import io.sparkattention.fixtures.OutputFiles;
import io.sparkattention.fixtures.SparkTestSession;
import io.sparkattention.fixtures.TaskAttemptListener;
import io.sparkattention.fixtures.TokenFixtures;
import io.sparkattention.kernel.Mask;
import io.sparkattention.plan.Strategy;
import io.sparkattention.spark.AttentionRequest;
import io.sparkattention.spark.AttentionSpec;
import io.sparkattention.spark.SparkAttention;
import io.sparkattention.spark.faults.FaultInjection;
import io.sparkattention.spark.io.TableFormat;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.stream.Stream;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Retried tasks give the same bytes: with {@link FaultInjection} making the first attempt of chosen
 * tasks fail (after their whole partition went through, so half-written shuffle or output files of
 * that attempt exist), the job completes on the retries (the shared session is {@code local[2,4]}:
 * four attempts per task, as on a cluster) and its output files hold exactly the bytes of a clean
 * run. Speculation and lost executors need a cluster: see {@code LocalClusterIT}. Runs on the
 * default matrix engine (native OpenBLAS where it loads) and again on netlib's pure-Java BLAS
 * (pom.xml, {@code determinism-on-java-blas}), each run asserting which engine computed.
 */
class FaultToleranceSparkTest {
  static final int D = 8;
  static SparkSession spark;
  @TempDir static Path tmp;
  static String jsonInput;
  static String parquetInput;
  static long tokens;

  @BeforeAll
  static void setUp() {
    spark = SparkTestSession.spark();
    int[] lengths = {1, 37, 129, 300};
    TokenFixtures f = TokenFixtures.random(7, D, lengths);
    jsonInput = tmp.resolve("in.json").toString();
    parquetInput = tmp.resolve("in.parquet").toString();
    // Several input files, so that the route stage has several tasks.
    f.table(spark, 3)
        .withColumn("x", org.apache.spark.ml.functions.vector_to_array(col("x"), "float64"))
        .write()
        .json(jsonInput);
    f.table(spark, 3).write().parquet(parquetInput);
    for (int n : lengths) {
      tokens += n;
    }
  }

  static AttentionSpec spec(Mask mask, int heads, Strategy strategy) {
    // Blocks of 16 and tiles of 2 blocks: many tasks and, for blocks/heads, several key groups.
    return AttentionSpec.builder()
        .mask(mask)
        .heads(heads)
        .strategy(strategy)
        .blockSize(16)
        .queryTileBlocks(2)
        .keyTileBlocks(2)
        .partitions(3)
        .build();
  }

  static Stream<Arguments> cases() {
    return Stream.of(
        // Merge path: route, tile tasks and merge+write each lose every first attempt.
        Arguments.of(
            "blocks global, json",
            spec(Mask.none(), 2, Strategy.BLOCKS),
            false,
            "route:*;tile:*;merge:*"),
        Arguments.of(
            "heads causal, parquet",
            spec(Mask.causal(), 2, Strategy.HEADS),
            true,
            "tile:0,2;merge:1"),
        // No merge stage: the tile tasks write the output, so a tile failure hits the writer.
        Arguments.of(
            "window local, parquet",
            spec(Mask.window(5), 1, Strategy.WINDOW),
            true,
            "route:0;tile:*"));
  }

  @ParameterizedTest(name = "{0}: {3}")
  @MethodSource("cases")
  void failedFirstAttemptsGiveTheCleanRunsBytes(
      String name, AttentionSpec spec, boolean parquet, String rules) throws Exception {
    Path dir = Files.createTempDirectory(tmp, "faults");
    String input = parquet ? parquetInput : jsonInput;
    TableFormat format = parquet ? TableFormat.PARQUET : TableFormat.JSON;
    Path clean = dir.resolve("clean");
    Path faulty = dir.resolve("faulty");

    TaskAttemptListener cleanRun = new TaskAttemptListener();
    spark.sparkContext().addSparkListener(cleanRun);
    try {
      assertEquals(
          tokens,
          SparkAttention.run(
                  spark,
                  AttentionRequest.builder()
                      .input(input)
                      .output(clean.toString())
                      .format(format)
                      .spec(spec)
                      .build())
              .rowsWritten());
    } finally {
      spark.sparkContext().listenerBus().waitUntilEmpty();
      spark.sparkContext().removeSparkListener(cleanRun);
    }
    assertEquals(0, cleanRun.failures().size(), "the clean run is clean: " + cleanRun.failures());

    TaskAttemptListener faultyRun = new TaskAttemptListener();
    spark.sparkContext().addSparkListener(faultyRun);
    spark.conf().set(FaultInjection.FAIL_KEY, rules);
    try {
      assertEquals(
          tokens,
          SparkAttention.run(
                  spark,
                  AttentionRequest.builder()
                      .input(input)
                      .output(faulty.toString())
                      .format(format)
                      .spec(spec)
                      .build())
              .rowsWritten());
    } finally {
      spark.conf().unset(FaultInjection.FAIL_KEY);
      spark.sparkContext().listenerBus().waitUntilEmpty();
      spark.sparkContext().removeSparkListener(faultyRun);
    }
    // Per stage: each failed in exactly the partitions its rule names, and nothing else failed.
    InjectedFaults.assertFailedWhereRulesSay(rules, faultyRun);

    assertEquals(OutputFiles.parts(clean).size(), OutputFiles.parts(faulty).size());
    assertTrue(OutputFiles.bytes(clean).length > 0);
    assertArrayEquals(
        OutputFiles.bytes(clean), OutputFiles.bytes(faulty), "byte-identical to the clean run");
  }

  @Test
  void computesOnTheEngineThisRunAskedFor() {
    EngineInUse.assertAskedFor();
  }

  @Test
  void faultRulesParse() {
    assertFalse(FaultInjection.parse("", " ", 1).isActive());
    assertTrue(FaultInjection.parse("tile:0,2;merge:*", "", 1).isActive());
    assertTrue(FaultInjection.parse("", "ROUTE: 3", 1).isActive());
    assertTrue(
        FaultInjection.parse("pyramid:*;centres:0;maps:1,2;pool:*;pool-merge:0", "", 1).isActive());
    IllegalArgumentException e =
        assertThrows(IllegalArgumentException.class, () -> FaultInjection.parse("write:1", "", 1));
    assertTrue(e.getMessage().contains(FaultInjection.FAIL_KEY), e.getMessage());
    assertTrue(e.getMessage().contains("route|tile|merge"), e.getMessage());
    e = assertThrows(IllegalArgumentException.class, () -> FaultInjection.parse("", "tile:x", 1));
    assertTrue(e.getMessage().contains("bad partition 'x'"), e.getMessage());
    assertFalse(FaultInjection.none().isActive());
    assertFalse(FaultInjection.of(spark).isActive(), "off by default");
  }
}
