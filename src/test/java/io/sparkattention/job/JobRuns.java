package io.sparkattention.job;

import io.sparkattention.fixtures.Launch;
import io.sparkattention.fixtures.SparkTestSession;
import io.sparkattention.spark.pooling.HierarchicalPipeline;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine;

/**
 * The jobs run on the shared test session as their command lines have them: options parsed into the
 * job's config, then its {@code run}; or the whole launch (exit code, stdout, stderr) through
 * {@link Launch}. Here rather than in {@code fixtures}: a job's {@code config()} is
 * package-private.
 */
final class JobRuns {
  private JobRuns() {}

  /** {@code --input input --output out} followed by the options. */
  static String[] withIo(String input, Path out, String... options) {
    List<String> a = new ArrayList<>(List.of("--input", input, "--output", out.toString()));
    a.addAll(Arrays.asList(options));
    return a.toArray(new String[0]);
  }

  /** Parses the options as the command line would and runs the attention job; rows written. */
  static long attention(String input, Path out, String... options) {
    AttentionJob job = new AttentionJob();
    new CommandLine(job).parseArgs(withIo(input, out, options));
    return AttentionJob.run(SparkTestSession.spark(), job.config());
  }

  /** Parses the options as the command line would and runs the hierarchical job. */
  static HierarchicalPipeline.Outcome hierarchical(String input, Path out, String... options) {
    HierarchicalJob job = new HierarchicalJob();
    new CommandLine(job).parseArgs(withIo(input, out, options));
    return HierarchicalJob.run(SparkTestSession.spark(), job.config());
  }

  /** Launches the attention job as {@code main} would (exit code and messages), on the session. */
  static Launch launchAttention(String... args) {
    return Launch.execute(new OnSharedSession(), args);
  }

  /** The attention job's command line on the shared session: options, run and errors as main's. */
  @CommandLine.Command(name = "attention")
  static final class OnSharedSession implements Callable<Integer> {
    @CommandLine.Mixin AttentionJob job = new AttentionJob();

    @Override
    public Integer call() {
      AttentionJob.run(SparkTestSession.spark(), job.config());
      return 0;
    }
  }
}
