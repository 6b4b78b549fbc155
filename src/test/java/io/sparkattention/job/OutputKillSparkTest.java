package io.sparkattention.job;

import static io.sparkattention.job.JobRuns.withIo;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.sparkattention.fixtures.ChildJob;
import io.sparkattention.fixtures.Launch;
import io.sparkattention.fixtures.SparkTestSession;
import io.sparkattention.fixtures.TokenFiles;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The driver killed (SIGKILL) while it writes its output, in a child JVM: at each step of {@code
 * --overwrite}'s protocol (paused there by the test-only switch {@code
 * spark.sparkattention.test.pauseAt}), and mid-job; then the next run on the path. Also two jobs
 * writing one path at once.
 */
class OutputKillSparkTest {
  static final String PAUSE_AT = "spark.sparkattention.test.pauseAt";
  static final String PAUSE_MARKER = "spark.sparkattention.test.pauseMarker";
  static final String OLD = "old-result.txt";

  static SparkSession spark;
  @TempDir static Path tmp;

  /** A small table: the child JVMs spend their time starting Spark, not computing. */
  static final TokenFiles TOKENS =
      TokenFiles.gaussian(new Random(17), 4, new int[] {1, 3, 6}, "a", "b", "c");

  @BeforeAll
  static void setUp() {
    spark = SparkTestSession.spark();
  }

  static ChildJob startJob(Path dir, Map<String, String> conf, String input, Path out, String... o)
      throws IOException {
    return ChildJob.start(
        AttentionJob.class.getName(), conf, dir.resolve("child.log"), withIo(input, out, o));
  }

  /** The names beside {@code out} in its directory ({@code out.…}: staging, aside, lock). */
  static List<String> beside(Path out) throws IOException {
    try (Stream<Path> files = Files.list(out.getParent())) {
      return files
          .map(p -> p.getFileName().toString())
          .filter(n -> n.startsWith(out.getFileName() + "."))
          .sorted()
          .collect(Collectors.toList());
    }
  }

  static boolean isOld(Path out) throws IOException {
    try (Stream<Path> files = Files.list(out)) {
      return files
          .map(p -> p.getFileName().toString())
          .collect(Collectors.toList())
          .equals(List.of(OLD));
    }
  }

  static void assertNew(Path out) {
    assertFalse(Files.exists(out.resolve(OLD)), "the new output at " + out);
    GlobalResults.assertGlobal(spark.read().json(out.toString()), TOKENS);
  }

  @ParameterizedTest
  @ValueSource(strings = {"staged", "aside", "in", "cleaned"})
  void killedAtEachStepOfOverwriteLeavesAWholeOutputAndTheNextRunCleansUp(String step)
      throws Exception {
    Path dir = Files.createTempDirectory(tmp, "kill-" + step);
    String input = TOKENS.writeJson(dir.resolve("in.json"), 3);
    Path out = dir.resolve("out");
    Files.createDirectories(out);
    Files.writeString(out.resolve(OLD), "the previous result");
    Path marker = dir.resolve("paused");
    try (ChildJob job =
        startJob(
            dir,
            Map.of(PAUSE_AT, step, PAUSE_MARKER, marker.toString()),
            input,
            out,
            "--attention",
            "global",
            "--overwrite")) {
      job.awaitFile(marker, 300);
      job.kill();
    }

    // What the killed run left: the old or the new output whole at the path, or (killed between
    // the two renames) nothing there and the old output whole beside it.
    List<String> left = beside(out);
    assertTrue(left.contains("out.lock"), "the dead run's lock: " + left);
    String staging = find(left, "out.staging-");
    String aside = find(left, "out.old-");
    switch (step) {
      case "staged" -> {
        assertTrue(isOld(out));
        assertTrue(staging != null && aside == null, left.toString());
      }
      case "aside" -> {
        assertFalse(Files.exists(out));
        assertTrue(isOld(dir.resolve(aside)), "the old output whole beside the path");
        assertTrue(staging != null, left.toString());
      }
      case "in" -> {
        assertNew(out);
        assertTrue(staging == null && aside != null, left.toString());
      }
      default -> {
        assertNew(out);
        assertEquals(List.of("out.lock"), left);
      }
    }

    // The next run recognises the dead run's lock and leftovers and cleans them up, then refuses
    // (no --overwrite): the path holds the old output again, or the new one.
    Launch refused = JobRuns.launchAttention(withIo(input, out, "--attention", "global"));
    assertEquals(JobLauncher.USAGE_ERROR, refused.code(), refused.err());
    assertEquals(
        "error: output path already exists: " + out + " (use --overwrite to replace it)",
        refused.err().strip());
    assertEquals(List.of(), beside(out), "leftovers cleaned up");
    if (step.equals("staged") || step.equals("aside")) {
      assertTrue(isOld(out), "the old output is back");
    } else {
      assertNew(out);
    }

    // And a run with --overwrite replaces it.
    Launch again =
        JobRuns.launchAttention(withIo(input, out, "--attention", "global", "--overwrite"));
    assertEquals(JobLauncher.OK, again.code(), again.err());
    assertNew(out);
    assertEquals(List.of(), beside(out));
  }

  @Test
  void driverKilledMidJobLeavesNothingAtThePathAndItsStagingIsRemovedByTheNextRun()
      throws Exception {
    Path dir = Files.createTempDirectory(tmp, "kill-mid-job");
    String input = TOKENS.writeJson(dir.resolve("in.json"), 3);
    Path out = dir.resolve("out");
    // Every task stalls once its partition has gone through: killed, the job has written part of
    // its output into the staging directory, uncommitted.
    Map<String, String> stall =
        Map.of(
            "spark.sparkattention.test.slowFirstAttempt", "tile:*;merge:*",
            "spark.sparkattention.test.slowMillis", "600000");
    try (ChildJob job = startJob(dir, stall, input, out, "--attention", "global")) {
      long deadline = System.nanoTime() + 300_000_000_000L;
      while (find(beside(out), "out.staging-") == null) {
        assertTrue(System.nanoTime() < deadline, "no staging directory:\n" + job.log());
        assertTrue(job.waitForExit(100) < 0, "the job exited:\n" + job.log());
      }
      Thread.sleep(1000); // its tasks under way
      job.kill();
    }
    assertFalse(Files.exists(out), "no partial output at the path");
    assertTrue(find(beside(out), "out.staging-") != null);

    Launch next = JobRuns.launchAttention(withIo(input, out, "--attention", "global"));
    assertEquals(JobLauncher.OK, next.code(), next.err());
    assertNew(out);
    assertEquals(List.of(), beside(out), "the dead run's staging and lock removed");
  }

  @Test
  void twoJobsWritingOnePathAtOnceOneWinsTheOtherFailsClearly() throws Exception {
    Path dir = Files.createTempDirectory(tmp, "two-writers");
    String input = TOKENS.writeJson(dir.resolve("in.json"), 3);
    Path out = dir.resolve("out");
    Path marker = dir.resolve("paused");
    try (ChildJob first =
        startJob(
            dir,
            Map.of(PAUSE_AT, "staged", PAUSE_MARKER, marker.toString()),
            input,
            out,
            "--attention",
            "global")) {
      first.awaitFile(marker, 300); // its output written, not yet renamed in

      Launch second = JobRuns.launchAttention(withIo(input, out, "--attention", "global"));
      assertEquals(JobLauncher.USAGE_ERROR, second.code(), second.err());
      String err = second.err().strip();
      assertTrue(
          err.startsWith("error: output path " + out + " is being written by another job"), err);
      assertTrue(err.contains("process " + first.pid() + " on "), err);
      assertTrue(err.endsWith("wait for it to finish or choose another --output"), err);

      Files.delete(marker); // the first job goes on
      assertEquals(0, first.waitFor(300), first.log());
    }
    assertNew(out);
    assertEquals(List.of(), beside(out));
  }

  static String find(List<String> names, String prefix) {
    return names.stream().filter(n -> n.startsWith(prefix)).findFirst().orElse(null);
  }
}
