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
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.Callable;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import picocli.CommandLine;

/**
 * The driver killed (SIGKILL) while it writes its output, in a child JVM: at each step of {@code
 * --overwrite}'s protocol (paused there by the test-only switch {@code
 * spark.sparkattention.test.pauseAt}), and mid-job; then the next run on the path. Also two jobs
 * writing one path at once.
 *
 * <p>One child JVM (one driver, {@link Writers}) runs every case's job, each on its own output path
 * and in its own session of the driver's context (so each has its own pause step and faults), one
 * after the other: the four overwrites paused at their steps, the first of the two writers paused
 * until the test lets it finish, then the job stalled mid-job. One SIGKILL then stops all of them
 * at once, and each test checks its own path: what one kill leaves at a path is the same, and the
 * JVM's start-up (most of a case's time) is paid once instead of six times.
 */
class OutputKillSparkTest {
  static final String PAUSE_AT = "spark.sparkattention.test.pauseAt";
  static final String PAUSE_MARKER = "spark.sparkattention.test.pauseMarker";
  static final String OLD = "old-result.txt";

  /** The overwrite steps a driver is killed at. */
  static final List<String> STEPS = List.of("staged", "aside", "in", "cleaned");

  static SparkSession spark;
  @TempDir static Path tmp;

  /** A small table: the child JVM spends its time starting Spark, not computing. */
  static final TokenFiles TOKENS =
      TokenFiles.gaussian(new Random(17), 4, new int[] {1, 3, 6}, "a", "b", "c");

  /** Each case's directory (input, output, marker) by case: the steps, "mid-job", "two-writers". */
  static final Map<String, Path> DIRS = new LinkedHashMap<>();

  /** The second writer's launch, made while the first (the child's) was paused. */
  static Launch secondWriter;

  /** The child's process id, and the first writer's exit code once let go. */
  static long childPid;

  static int firstWriterCode = -1;

  static Path in(String name) {
    return DIRS.get(name).resolve("in.json");
  }

  static Path out(String name) {
    return DIRS.get(name).resolve("out");
  }

  static Path marker(String name) {
    return DIRS.get(name).resolve("paused");
  }

  /**
   * Starts the child with every case's job, drives it (the second writer meanwhile) and kills it
   * with all of them under way.
   */
  @BeforeAll
  static void killOneDriverWithEveryWriteUnderWay() throws Exception {
    spark = SparkTestSession.spark();
    List<String> cases = new ArrayList<>(List.of("two-writers"));
    cases.addAll(STEPS);
    cases.add("mid-job");
    for (String c : cases) {
      Path dir = Files.createTempDirectory(tmp, c);
      DIRS.put(c, dir);
      TOKENS.writeJson(in(c), 3);
    }
    List<String> args = new ArrayList<>();
    // Job 0, the first of two writers: paused once its output is written, not yet renamed in.
    args.addAll(
        Writers.job(
            Map.of(PAUSE_AT, "staged", PAUSE_MARKER, marker("two-writers").toString()),
            withIo(in("two-writers").toString(), out("two-writers"), "--attention", "global")));
    // Jobs 1-4: each replaces an old output, paused at its step.
    for (String step : STEPS) {
      Path out = out(step);
      Files.createDirectories(out);
      Files.writeString(out.resolve(OLD), "the previous result");
      args.add(Writers.NEXT);
      args.addAll(
          Writers.job(
              Map.of(PAUSE_AT, step, PAUSE_MARKER, marker(step).toString()),
              withIo(in(step).toString(), out, "--attention", "global", "--overwrite")));
    }
    // Job 5, once job 0 has ended: every task stalls once its partition has gone through; killed,
    // the job has written part of its output into the staging directory, uncommitted.
    args.add(Writers.NEXT);
    args.add(Writers.AFTER_FIRST_ENDS);
    args.addAll(
        Writers.job(
            Map.of(
                "spark.sparkattention.test.slowFirstAttempt", "tile:*;merge:*",
                "spark.sparkattention.test.slowMillis", "600000"),
            withIo(in("mid-job").toString(), out("mid-job"), "--attention", "global")));

    try (ChildJob job =
        ChildJob.start(
            Writers.class.getName(),
            Map.of(),
            tmp.resolve("child.log"),
            args.toArray(new String[0]))) {
      childPid = job.pid();
      job.awaitFile(marker("two-writers"), 300);
      for (String step : STEPS) {
        job.awaitFile(marker(step), 300);
      }

      // The second writer, while the first is paused; then the first goes on.
      secondWriter =
          JobRuns.launchAttention(
              withIo(in("two-writers").toString(), out("two-writers"), "--attention", "global"));
      Files.delete(marker("two-writers"));
      firstWriterCode = Integer.parseInt(job.awaitLine(Writers.ENDED + "0: ", 300).strip());

      Path midJob = out("mid-job");
      long deadline = System.nanoTime() + 300_000_000_000L;
      while (find(beside(midJob), "out.staging-") == null) {
        assertTrue(System.nanoTime() < deadline, "no staging directory:\n" + job.log());
        assertTrue(job.waitForExit(100) < 0, "the job exited:\n" + job.log());
      }
      Thread.sleep(1000); // its tasks under way
      job.kill();
    }
  }

  /** {@code --input in --output out} and the options, as a run on the shared session takes them. */
  static String[] io(String name, String... options) {
    return withIo(in(name).toString(), out(name), options);
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
    Path dir = DIRS.get(step);
    Path out = out(step);

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
    Launch refused = JobRuns.launchAttention(io(step, "--attention", "global"));
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
    Launch again = JobRuns.launchAttention(io(step, "--attention", "global", "--overwrite"));
    assertEquals(JobLauncher.OK, again.code(), again.err());
    assertNew(out);
    assertEquals(List.of(), beside(out));
  }

  @Test
  void driverKilledMidJobLeavesNothingAtThePathAndItsStagingIsRemovedByTheNextRun()
      throws Exception {
    Path out = out("mid-job");
    assertFalse(Files.exists(out), "no partial output at the path");
    assertTrue(find(beside(out), "out.staging-") != null);

    Launch next = JobRuns.launchAttention(io("mid-job", "--attention", "global"));
    assertEquals(JobLauncher.OK, next.code(), next.err());
    assertNew(out);
    assertEquals(List.of(), beside(out), "the dead run's staging and lock removed");
  }

  @Test
  void twoJobsWritingOnePathAtOnceOneWinsTheOtherFailsClearly() throws Exception {
    // The second writer, launched while the first was paused with its output written.
    Path out = out("two-writers");
    assertEquals(JobLauncher.USAGE_ERROR, secondWriter.code(), secondWriter.err());
    String err = secondWriter.err().strip();
    assertTrue(
        err.startsWith("error: output path " + out + " is being written by another job"), err);
    assertTrue(err.contains("process " + childPid + " on "), err);
    assertTrue(err.endsWith("wait for it to finish or choose another --output"), err);

    // The first went on once let go, and finished.
    assertEquals(JobLauncher.OK, firstWriterCode);
    assertNew(out);
    assertEquals(List.of(), beside(out));
  }

  static String find(List<String> names, String prefix) {
    return names.stream().filter(n -> n.startsWith(prefix)).findFirst().orElse(null);
  }

  /**
   * The child's main: a driver running attention jobs one after the other, each in a new session of
   * one context with its own Spark properties (its pause step, its faults), launched as a job's
   * {@code main} launches it ({@link JobLauncher}: options, errors, exit code). A job starts once
   * the one before it has paused (created its pause marker) or ended, or, marked {@value
   * #AFTER_FIRST_ENDS}, once the first job has ended. Each job's end is printed as {@value
   * #ENDED}{@code INDEX: CODE}.
   */
  static final class Writers {
    static final String NEXT = "+next-job";
    static final String AFTER_FIRST_ENDS = "+after-first-ends";
    static final String CONF = "+conf=";
    static final String ENDED = "writers: ended job ";

    private Writers() {}

    /** One job's arguments: its session's Spark properties, then its command line. */
    static List<String> job(Map<String, String> conf, String... args) {
      List<String> a = new ArrayList<>();
      conf.forEach((k, v) -> a.add(CONF + k + "=" + v));
      a.addAll(List.of(args));
      return a;
    }

    /** A job's command line run on one session, as the job's main runs it. */
    @CommandLine.Command(name = "attention")
    static final class OnSession implements Callable<Integer> {
      @CommandLine.Mixin AttentionJob job = new AttentionJob();
      final SparkSession session;

      OnSession(SparkSession session) {
        this.session = session;
      }

      @Override
      public Integer call() {
        AttentionJob.run(session, job.config());
        return JobLauncher.OK;
      }
    }

    public static void main(String[] args) throws Exception {
      SparkSession driver = SparkSession.builder().appName("writers").getOrCreate();
      List<List<String>> jobs = new ArrayList<>();
      jobs.add(new ArrayList<>());
      for (String a : args) {
        if (a.equals(NEXT)) {
          jobs.add(new ArrayList<>());
        } else {
          jobs.get(jobs.size() - 1).add(a);
        }
      }
      List<Thread> threads = new ArrayList<>();
      Path previousMarker = null;
      for (int i = 0; i < jobs.size(); i++) {
        SparkSession session = driver.newSession();
        List<String> options = new ArrayList<>();
        boolean afterFirst = false;
        Path marker = null;
        for (String a : jobs.get(i)) {
          if (a.equals(AFTER_FIRST_ENDS)) {
            afterFirst = true;
          } else if (a.startsWith(CONF)) {
            String[] kv = a.substring(CONF.length()).split("=", 2);
            session.conf().set(kv[0], kv[1]);
            if (kv[0].equals(PAUSE_MARKER)) {
              marker = Path.of(kv[1]);
            }
          } else {
            options.add(a);
          }
        }
        Thread previous = threads.isEmpty() ? null : threads.get(threads.size() - 1);
        while (previous != null
            && previous.isAlive()
            && (previousMarker == null || !Files.exists(previousMarker))) {
          Thread.sleep(50);
        }
        if (afterFirst) {
          threads.get(0).join();
        }
        int index = i;
        Thread t =
            new Thread(
                () -> {
                  int code =
                      JobLauncher.execute(new OnSession(session), options.toArray(new String[0]));
                  System.out.println(ENDED + index + ": " + code);
                },
                "job-" + i);
        t.start();
        threads.add(t);
        previousMarker = marker;
      }
      for (Thread t : threads) {
        t.join();
      }
      System.exit(0);
    }
  }
}
