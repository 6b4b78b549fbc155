package io.sparkattention.job;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.sparkattention.fixtures.EngineInUse;
import io.sparkattention.fixtures.InjectedFaults;
import io.sparkattention.fixtures.OutputFiles;
import io.sparkattention.fixtures.SparkTestSession;
import io.sparkattention.fixtures.TaskAttemptListener;
import io.sparkattention.spark.faults.FaultInjection;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import picocli.CommandLine;

/**
 * Retried tasks give the same bytes in the stages beyond route, tile and merge (those are {@code
 * FaultToleranceSparkTest}'s): the pyramid's reduce side, local-p's centre pass, the attention maps
 * of {@code --emit-weights}, and the hierarchical job's reading, block pooling and merging. Each
 * job runs on the sample data through its command line, once clean and once with {@link
 * FaultInjection} failing the first attempt of the chosen tasks (after their whole partition went
 * through); the session is {@code local[2,4]}, four attempts per task. Each stage must have failed
 * exactly where its rule says, and every file written must hold the clean run's bytes. Runs on the
 * default matrix engine and again on netlib's pure-Java BLAS (pom.xml, {@code
 * determinism-on-java-blas}), each run asserting which engine computed.
 */
class FaultToleranceJobSparkTest {
  static SparkSession spark;
  @TempDir static Path tmp;

  @BeforeAll
  static void setUp() {
    spark = SparkTestSession.spark();
  }

  /** A job: which one, its options (without --output and --emit-weights), whether it has maps. */
  record Job(String main, List<String> options, boolean maps) {
    /**
     * Runs it writing to {@code dir}/out (and {@code dir}/maps); returns the directories written.
     */
    List<Path> run(Path dir) {
      Path out = dir.resolve("out");
      List<String> args = new ArrayList<>(options);
      args.addAll(List.of("--output", out.toString()));
      List<Path> written = new ArrayList<>();
      if (main.equals("hierarchical")) {
        HierarchicalJob job = new HierarchicalJob();
        new CommandLine(job).parseArgs(args.toArray(new String[0]));
        HierarchicalJob.run(spark, job.config());
        written.add(out.resolve("sentences"));
        written.add(out.resolve("documents"));
      } else {
        if (maps) {
          args.addAll(List.of("--emit-weights", dir.resolve("maps").toString()));
        }
        AttentionJob job = new AttentionJob();
        new CommandLine(job).parseArgs(args.toArray(new String[0]));
        AttentionJob.run(spark, job.config());
        written.add(out);
        if (maps) {
          written.add(dir.resolve("maps"));
        }
      }
      return written;
    }
  }

  static Stream<Arguments> cases() {
    return Stream.of(
        // The pyramid's reduce side runs in the task that routes its steps on, and again for the
        // maps (a later stage reading the same shuffle); a merge task and every map task fail too.
        Arguments.of(
            "pyramid, causal blocks, maps",
            new Job(
                "attention",
                List.of(
                    "--input",
                    "sample-data/tokens.jsonl",
                    "--attention",
                    "causal",
                    "--heads",
                    "2",
                    "--pyramid-levels",
                    "2",
                    "--strategy",
                    "blocks",
                    "--block-size",
                    "16",
                    "--query-tile-blocks",
                    "2",
                    "--key-tile-blocks",
                    "2",
                    "--partitions",
                    "3"),
                true),
            "pyramid:*;merge:1;maps:*"),
        // Local-p's first pass (centres), tile tasks, and one task of the maps.
        Arguments.of(
            "local-p, maps",
            new Job(
                "attention",
                List.of(
                    "--input",
                    "sample-data/tokens.jsonl",
                    "--attention",
                    "local-p",
                    "--window",
                    "8",
                    "--heads",
                    "2",
                    "--weights",
                    "sample-data/weights-localp.json",
                    "--strategy",
                    "blocks",
                    "--block-size",
                    "32",
                    "--partitions",
                    "3"),
                true),
            "centres:*;tile:0,2;maps:0"),
        // Words read and routed, blocks pooled and groups merged, at both levels; a merge at the
        // word level fails in the task writing the sentences, at the sentence level the documents.
        Arguments.of(
            "hierarchical",
            new Job(
                "hierarchical",
                List.of(
                    "--input",
                    "sample-data/hierarchical.jsonl",
                    "--weights",
                    "sample-data/hierarchical-weights.json",
                    "--block-size",
                    "8"),
                false),
            "route:*;pool:*;pool-merge:*"));
  }

  @Test
  void computesOnTheEngineThisRunAskedFor() {
    EngineInUse.assertAskedFor();
  }

  @ParameterizedTest(name = "{0}: {2}")
  @MethodSource("cases")
  void failedFirstAttemptsGiveTheCleanRunsBytes(String name, Job job, String rules)
      throws Exception {
    Path dir = Files.createTempDirectory(tmp, "faults");
    TaskAttemptListener cleanRun = new TaskAttemptListener();
    List<Path> clean = withListener(cleanRun, () -> job.run(dir.resolve("clean")));
    InjectedFaults.assertFailedWhereRulesSay("", cleanRun);

    TaskAttemptListener faultyRun = new TaskAttemptListener();
    spark.conf().set(FaultInjection.FAIL_KEY, rules);
    List<Path> faulty;
    try {
      faulty = withListener(faultyRun, () -> job.run(dir.resolve("faulty")));
    } finally {
      spark.conf().unset(FaultInjection.FAIL_KEY);
    }
    InjectedFaults.assertFailedWhereRulesSay(rules, faultyRun);

    for (int i = 0; i < clean.size(); i++) {
      byte[] expected = OutputFiles.bytes(clean.get(i));
      assertTrue(expected.length > 0, clean.get(i) + " is empty");
      assertArrayEquals(
          expected,
          OutputFiles.bytes(faulty.get(i)),
          faulty.get(i) + ": not the clean run's bytes");
    }
  }

  interface Body<T> {
    T run() throws Exception;
  }

  static <T> T withListener(TaskAttemptListener listener, Body<T> body) throws Exception {
    spark.sparkContext().addSparkListener(listener);
    try {
      return body.run();
    } finally {
      spark.sparkContext().listenerBus().waitUntilEmpty();
      spark.sparkContext().removeSparkListener(listener);
    }
  }
}
