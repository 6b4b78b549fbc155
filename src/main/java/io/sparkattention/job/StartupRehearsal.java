package io.sparkattention.job;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.stream.Stream;

/**
 * Runs three small jobs as a user's would run: a synthetic Parquet table, attention over it
 * (Parquet in and out), and attention over a JSON table. {@code jobs/lib/launch.sh} runs it once
 * per build in a JVM started with {@code -XX:ArchiveClassesAtExit}, so that the classes every job
 * loads (Spark's, Scala's, Hadoop's, Parquet's: tens of thousands) are stored parsed and verified
 * in a class-data-sharing archive that later jobs map instead of loading: about 5 s less from every
 * cold command on a 2-core machine (docs/performance.md).
 *
 * <p>Usage (through SparkSubmit, as a job): {@code StartupRehearsal JSON_TOKEN_TABLE}. Exits 0 when
 * all three jobs did; what they wrote is deleted.
 */
public final class StartupRehearsal {
  private StartupRehearsal() {}

  public static void main(String[] args) throws IOException {
    if (args.length != 1) {
      System.err.println("usage: StartupRehearsal JSON_TOKEN_TABLE");
      System.exit(JobLauncher.USAGE_ERROR);
    }
    Path dir = Files.createTempDirectory("sa-rehearsal");
    int code;
    try {
      String table = dir.resolve("tokens.parquet").toString();
      code =
          JobLauncher.execute(
              new SyntheticTokensJob(),
              new String[] {
                "--output", table, "--length", "40", "--sequences", "6", "--d-model", "8"
              });
      if (code == JobLauncher.OK) {
        code =
            JobLauncher.execute(
                new AttentionJob(),
                new String[] {
                  "--input",
                  table,
                  "--output",
                  dir.resolve("out.parquet").toString(),
                  "--attention",
                  "causal",
                  "--heads",
                  "2"
                });
      }
      if (code == JobLauncher.OK) {
        code =
            JobLauncher.execute(
                new AttentionJob(),
                new String[] {
                  "--input",
                  args[0],
                  "--output",
                  dir.resolve("out.jsonl").toString(),
                  "--attention",
                  "global",
                  "--heads",
                  "2"
                });
      }
    } finally {
      try (Stream<Path> files = Files.walk(dir)) {
        files.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
      }
    }
    System.exit(code);
  }
}
