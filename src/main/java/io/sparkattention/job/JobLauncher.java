package io.sparkattention.job;

import io.sparkattention.spark.InputException;
import java.io.PrintWriter;
import java.util.function.BooleanSupplier;
import org.apache.spark.sql.SparkSession;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import picocli.CommandLine;

/**
 * Runs a picocli job command with the project's error conventions: a bad option prints a one-line
 * error and a hint on stderr and exits 2; bad input ({@link InputException}, also when Spark wraps
 * it) prints {@code error: …} and exits 2; anything else exits 1. Stack traces only with {@code
 * --verbose} ({@link Verbosity}). A job's {@code main} is {@code
 * System.exit(JobLauncher.execute(new SomeJob(), args))}; its {@code call()} does its work {@link
 * #inSession}.
 */
public final class JobLauncher {
  /** Exit code of a completed run. */
  public static final int OK = 0;

  /** Exit code for bad options or input. */
  public static final int USAGE_ERROR = 2;

  /** Exit code for a failure while running. */
  public static final int RUN_ERROR = 1;

  private static final Logger LOG = LoggerFactory.getLogger(JobLauncher.class);

  private JobLauncher() {}

  /**
   * Parses {@code args} into {@code command}, runs it, and returns the exit code; errors show their
   * stack traces when the command line has {@code --verbose}.
   */
  public static int execute(Object command, String[] args) {
    return execute(command, args, null, null, null);
  }

  /**
   * As {@link #execute(Object, String[])}, with help/usage written to {@code stdout} and errors to
   * {@code stderr} (null: standard output / standard error), so tests can read them.
   *
   * @param verbose read after parsing: whether to print stack traces (null: whether {@code
   *     --verbose} was given)
   */
  public static int execute(
      Object command,
      String[] args,
      BooleanSupplier verbose,
      PrintWriter stdout,
      PrintWriter stderr) {
    CommandLine cli = new CommandLine(command);
    if (stdout != null) {
      cli.setOut(stdout);
    }
    if (stderr != null) {
      cli.setErr(stderr);
    }
    cli.setParameterExceptionHandler(
        (ex, a) -> {
          PrintWriter err = ex.getCommandLine().getErr();
          err.println("error: " + ex.getMessage());
          err.println("Try '" + ex.getCommandLine().getCommandName() + " --help' for the options.");
          return USAGE_ERROR;
        });
    cli.setExecutionExceptionHandler(
        (ex, commandLine, parseResult) -> {
          PrintWriter err = commandLine.getErr();
          boolean traces =
              verbose == null
                  ? parseResult.hasMatchedOption(Verbosity.OPTION)
                  : verbose.getAsBoolean();
          if (stoppedUnderUs(ex)) {
            // Not the input's fault, though it may surface while reading it.
            err.println(
                "error: the Spark application was stopped before the job finished: the cluster"
                    + " refused or ended it (see Spark's log above: 'All masters are unresponsive'"
                    + " when a cluster with spark.authenticate refused a missing or wrong secret,"
                    + " 'Application has been killed' when it was killed); nothing was written");
            if (traces) {
              ex.printStackTrace(err);
            }
            return RUN_ERROR;
          }
          InputException input = findInputException(ex);
          if (input != null) {
            err.println("error: " + input.getMessage());
            if (traces) {
              ex.printStackTrace(err);
            }
            return USAGE_ERROR;
          }
          // One line: what went wrong at the bottom (a task failure arrives wrapped in Spark's
          // job and write failures, whose messages carry the executor's and the driver's stack
          // traces, for --verbose only).
          Throwable root = ex;
          while (root.getCause() != null && root.getCause() != root) {
            root = root.getCause();
          }
          String message = firstLine(String.valueOf(ex));
          if (root != ex) {
            message =
                "job failed: "
                    + root.getClass().getSimpleName()
                    + ": "
                    + firstLine(root.getMessage());
          }
          err.println("error: " + message);
          if (traces) {
            ex.printStackTrace(err);
          } else {
            err.println("(run with --verbose for the stack trace)");
          }
          return RUN_ERROR;
        });
    return cli.execute(args);
  }

  /** A job's work on its Spark session. */
  @FunctionalInterface
  interface SessionWork {
    void run(SparkSession spark) throws Exception;
  }

  /**
   * The body every job's {@code call()} shares, once its options are checked: starts the session
   * {@code session} describes, does {@code work} on it and stops it, also when the work fails
   * (whose exception then reaches {@link #execute}).
   *
   * @return {@link #OK}
   */
  static int inSession(SparkSession.Builder session, SessionWork work) throws Exception {
    SparkSession spark = session.getOrCreate();
    // Which line runs: a jar built for another Spark line or Scala version fails in odd ways.
    LOG.info("{}", Version.runtime(spark.version()));
    if (!Version.fits(spark.version(), scala.util.Properties.versionNumberString())) {
      LOG.warn(
          "this build is for Spark/Scala {} but runs on Spark {}, Scala {}: use the matching"
              + " artifact (spark-attention-LINE_SCALA) or SA_SPARK",
          Version.builtFor(),
          spark.version(),
          scala.util.Properties.versionNumberString());
    }
    try {
      work.run(spark);
      return OK;
    } finally {
      spark.stop();
    }
  }

  private static String firstLine(String s) {
    if (s == null) {
      return "(no message)";
    }
    int nl = s.indexOf('\n');
    return (nl < 0 ? s : s.substring(0, nl)).strip();
  }

  /** Whether the failure is Spark's context having been stopped while the job used it. */
  static boolean stoppedUnderUs(Throwable t) {
    for (Throwable c = t; c != null; c = c.getCause() == c ? null : c.getCause()) {
      String m = String.valueOf(c.getMessage());
      // Which of Spark's messages surfaces depends on where the job was when the context stopped.
      if (m.contains("Cannot call methods on a stopped SparkContext")
          || m.contains("because SparkContext was shut down")
          || m.contains("LiveListenerBus is stopped")) {
        return true;
      }
    }
    return false;
  }

  private static InputException findInputException(Throwable t) {
    for (Throwable c = t; c != null; c = c.getCause()) {
      if (c instanceof InputException) {
        return (InputException) c;
      }
    }
    return null;
  }
}
