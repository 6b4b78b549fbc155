package io.sparkattention.job;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.sparkattention.fixtures.Launch;
import io.sparkattention.spark.InputException;
import java.util.List;
import java.util.concurrent.Callable;
import org.junit.jupiter.api.Test;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * {@link JobLauncher} as the jobs' {@code main}s call it: without a verbosity supplier, stack
 * traces follow the {@link Verbosity} mixin's {@code --verbose} in the parse result.
 */
class JobLauncherTest {

  @Command(name = "failing")
  static final class Failing implements Callable<Integer> {
    @Option(names = "--bad-input")
    boolean badInput;

    @Option(names = "--stopped")
    boolean stopped;

    @Mixin Verbosity verbosity;

    @Override
    public Integer call() {
      if (stopped) { // as a refused cluster application surfaces: while reading the input
        String spark = "Cannot call methods on a stopped SparkContext.";
        throw new InputException(
            "cannot read input path in.parquet: " + spark, new IllegalStateException(spark));
      }
      throw badInput
          ? new InputException("column pos must hold 0 … n-1")
          : new IllegalStateException("stage failed", new ArithmeticException("row 0"));
    }
  }

  /** As the jobs' mains launch: stack traces as the command line's {@code --verbose} says. */
  private static Launch launch(String... args) {
    return Launch.execute(new Failing(), args);
  }

  @Test
  void aContextStoppedUnderTheJobIsBlamedOnTheClusterNotTheInput() {
    Launch stopped = launch("--stopped");
    assertEquals(JobLauncher.RUN_ERROR, stopped.code());
    String err = stopped.err().strip();
    assertTrue(
        err.startsWith(
            "error: the Spark application was stopped before the job finished: the cluster"
                + " refused or ended it"),
        err);
    assertFalse(err.contains("cannot read input"), err);
    assertFalse(err.contains("\tat "), "a stack trace without --verbose: " + err);
    // The other forms Spark's refusal takes, depending on where the job was when it came.
    for (String spark :
        List.of(
            "LiveListenerBus is stopped.",
            "Job 0 cancelled because SparkContext was shut down",
            "Cannot call methods on a stopped SparkContext.")) {
      assertTrue(
          JobLauncher.stoppedUnderUs(
              new InputException("cannot read input in.json as json: " + spark)),
          spark);
    }
    assertFalse(JobLauncher.stoppedUnderUs(new IllegalStateException("stage failed")));
  }

  @Test
  void runFailureShowsItsStackTraceOnlyWithVerbose() {
    Launch quiet = launch();
    assertEquals(JobLauncher.RUN_ERROR, quiet.code());
    assertEquals(
        "error: job failed: ArithmeticException: row 0\n(run with --verbose for the stack trace)",
        quiet.err().strip().replace(System.lineSeparator(), "\n"));

    Launch verbose = launch("--verbose");
    assertEquals(JobLauncher.RUN_ERROR, verbose.code());
    assertTrue(verbose.err().contains("\tat "), verbose.err());
    assertFalse(verbose.err().contains("(run with --verbose"), verbose.err());
  }

  @Test
  void badInputIsOneLineUnlessVerbose() {
    Launch quiet = launch("--bad-input");
    assertEquals(JobLauncher.USAGE_ERROR, quiet.code());
    assertEquals("error: column pos must hold 0 … n-1", quiet.err().strip());

    Launch verbose = launch("--bad-input", "--verbose");
    assertEquals(JobLauncher.USAGE_ERROR, verbose.code());
    assertTrue(verbose.err().contains("\tat "), verbose.err());
  }
}
