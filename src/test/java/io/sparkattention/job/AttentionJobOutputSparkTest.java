package io.sparkattention.job;

import static io.sparkattention.fixtures.OutputFiles.assertNoStaging;
import static io.sparkattention.job.JobRuns.withIo;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.sparkattention.fixtures.Launch;
import io.sparkattention.fixtures.SparkTestSession;
import io.sparkattention.fixtures.Weights;
import io.sparkattention.spark.InputException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.stream.Stream;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The attention job's output path, all or nothing: an existing output needs {@code --overwrite} and
 * is then replaced; a run that fails in a task keeps the old output, leaves no staging and writes
 * nothing new, and the user sees one line and exit 1.
 */
class AttentionJobOutputSparkTest {
  static final int D = AttentionJobSample.D;

  static SparkSession spark;
  @TempDir static Path tmp;
  static AttentionJobSample sample;

  @BeforeAll
  static void setUp() throws IOException {
    spark = SparkTestSession.spark();
    sample = new AttentionJobSample(tmp);
  }

  @Test
  void existingOutputNeedsOverwriteAndIsThenReplaced() throws IOException {
    Path dir = Files.createTempDirectory(tmp, "overwrite");
    String input = sample.writeJson(dir.resolve("in.json"), false, 3);
    Path out = dir.resolve("out");
    Files.createDirectories(out);
    Path old = Files.writeString(out.resolve("old-result.txt"), "keep me unless --overwrite");

    Launch l = JobRuns.launchAttention(withIo(input, out, "--attention", "global"));
    assertEquals(JobLauncher.USAGE_ERROR, l.code());
    assertEquals(
        "error: output path already exists: " + out + " (use --overwrite to replace it)",
        l.err().strip());
    assertTrue(Files.exists(old), "the old output is untouched");
    try (Stream<Path> files = Files.list(out)) {
      assertEquals(1, files.count(), "nothing added to the existing output");
    }

    JobRuns.attention(input, out, "--attention", "global", "--overwrite");
    assertFalse(Files.exists(old), "the old output is gone");
    sample.assertMatchesReference(
        spark.read().json(out.toString()), false, null, 1, "global", null);
    assertNoStaging(dir);
  }

  @Test
  void failedRunKeepsTheOldOutputAndLeavesNoStaging() throws IOException {
    // Weights so large that scores overflow: the failure happens while the result is written.
    Path dir = Files.createTempDirectory(tmp, "fail");
    String input = sample.writeParquet(dir.resolve("in.parquet"), false, 3, 2);
    Weights huge = new Weights();
    huge.wq = new double[D][D];
    huge.wk = new double[D][D];
    for (int i = 0; i < D; i++) {
      huge.wq[i][i] = 1e200;
      huge.wk[i][i] = 1e200;
    }
    Path hugeFile = Files.writeString(dir.resolve("huge.json"), huge.toJson());
    Path out = dir.resolve("out");
    Files.createDirectories(out);
    Path old = Files.writeString(out.resolve("old-result.txt"), "previous result");
    String[] options = {
      "--attention",
      "global",
      "--weights",
      hugeFile.toString(),
      "--overwrite",
      "--strategy",
      "blocks",
      "--block-size",
      "16"
    };
    Exception e = assertThrows(Exception.class, () -> JobRuns.attention(input, out, options));
    assertFalse(e instanceof InputException, "fails in a task, after validation: " + e);
    assertTrue(String.valueOf(e.getMessage()).contains("Infinity"), String.valueOf(e));
    assertTrue(Files.exists(old), "the old output survives a failed run: " + e);
    assertNoStaging(dir);

    Path fresh = dir.resolve("fresh");
    assertThrows(Exception.class, () -> JobRuns.attention(input, fresh, options));
    assertFalse(Files.exists(fresh), "nothing at the output path after a failed run");
    assertNoStaging(dir);

    // As the user sees it: exit 1, the innermost cause in one line, no stack trace.
    Launch l = JobRuns.launchAttention(withIo(input, fresh, options));
    assertEquals(JobLauncher.RUN_ERROR, l.code(), l.err());
    String[] lines = l.err().strip().split("\\R");
    assertEquals(2, lines.length, l.err());
    assertTrue(lines[0].startsWith("error: job failed: "), lines[0]);
    assertTrue(lines[0].contains("Infinity"), lines[0]);
    assertEquals("(run with --verbose for the stack trace)", lines[1]);
    assertFalse(l.err().contains("\tat "), l.err());
    assertFalse(Files.exists(fresh));
    assertNoStaging(dir);
  }
}
