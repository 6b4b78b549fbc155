package io.sparkattention.job;

import static io.sparkattention.job.JobRuns.withIo;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.sparkattention.fixtures.Allowed;
import io.sparkattention.fixtures.Launch;
import io.sparkattention.fixtures.LogLines;
import io.sparkattention.fixtures.SparkTestSession;
import io.sparkattention.fixtures.TokenFiles;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.Random;
import java.util.stream.Collectors;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * {@code --window-clip}: a window at least as long as the longest sequence of a batch of short
 * sequences runs as attention without the window (global, or plain causal), equal to the
 * independent reference, with one warning naming the sequences and the longest length against the
 * window; without the option it is refused, naming it.
 */
class WindowClipSparkTest {
  static SparkSession spark;
  @TempDir static Path tmp;
  static String input;

  /** Mixed short sequences, the longest 6 tokens, one of a single token. */
  static final TokenFiles BATCH =
      TokenFiles.gaussian(
          new Random(17), 4, new int[] {1, 3, 6, 2, 5}, "s1", "s3", "s6", "s2", "s5");

  static final String PIPELINE_LOGGER = "io.sparkattention.spark.AttentionPipeline";

  @BeforeAll
  static void setUp() throws IOException {
    spark = SparkTestSession.spark();
    input = BATCH.writeJson(tmp.resolve("in.json"), 3);
  }

  @ParameterizedTest(name = "{0} --window {1} {2}")
  @CsvSource({
    "local, 6, --strategy=auto, global",
    "local, 40, --strategy=window, global",
    "causal, 9, --strategy=auto, plain causal",
    "causal, 6, --strategy=window, plain causal"
  })
  void aWindowCoveringEverySequenceRunsWithoutItAndSaysSo(
      String kind, int window, String strategy, String ranAs) {
    Path out = tmp.resolve("clip-" + kind + "-" + window + strategy.substring(11) + ".json");
    List<String> warnings;
    try (LogLines log = LogLines.of(PIPELINE_LOGGER)) {
      long rows =
          JobRuns.attention(
              input,
              out,
              "--attention",
              kind,
              "--window",
              String.valueOf(window),
              "--window-clip",
              strategy);
      assertEquals(BATCH.tokens(), rows);
      warnings =
          log.lines().stream().filter(l -> l.startsWith("WARN")).collect(Collectors.toList());
    }
    assertEquals(
        List.of(
            "WARN window clipped: the window "
                + window
                + " covers all 5 sequence(s) (the longest has 6 tokens), so they run "
                + ranAs
                + " attention, with the same result"),
        warnings);
    GlobalResults.assertMasked(
        spark.read().json(out.toString()),
        BATCH,
        kind.equals("local") ? Allowed.ALL : Allowed.causal());
  }

  @Test
  void aWindowShorterThanTheLongestSequenceStaysAndNothingIsSaid() {
    Path out = tmp.resolve("narrow.json");
    List<String> lines;
    try (LogLines log = LogLines.of(PIPELINE_LOGGER)) {
      JobRuns.attention(input, out, "--attention", "local", "--window", "2", "--window-clip");
      lines = log.lines();
    }
    assertTrue(lines.stream().noneMatch(l -> l.startsWith("WARN")), lines.toString());
    GlobalResults.assertMasked(spark.read().json(out.toString()), BATCH, Allowed.window(2));
  }

  @Test
  void withoutTheOptionTheWindowIsRefusedNamingIt() {
    Launch l =
        JobRuns.launchAttention(
            withIo(input, tmp.resolve("refused.json"), "--attention", "local", "--window", "6"));
    assertEquals(JobLauncher.USAGE_ERROR, l.code(), l.err());
    assertEquals(
        "error: --window 6 is too large: the longest sequence has 6 tokens, so every token would"
            + " see its whole sequence; use --attention global, a window below 6, or --window-clip"
            + " to run such batches without the window",
        l.err().strip());
  }

  @Test
  void theOptionNeedsAWindow() {
    Launch l =
        JobRuns.launchAttention(
            withIo(input, tmp.resolve("nowindow.json"), "--attention", "causal", "--window-clip"));
    assertEquals(JobLauncher.USAGE_ERROR, l.code(), l.err());
    assertEquals(
        "error: --window-clip needs a window mask (local, or causal with a window), not causal",
        l.err().strip());
  }
}
