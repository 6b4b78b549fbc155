package io.sparkattention.job;

import io.sparkattention.spark.InputException;
import java.io.PrintWriter;
import java.util.function.BooleanSupplier;
import picocli.CommandLine;

/**
 * Runs a picocli job command with the project's error conventions: a bad option prints a one-line
 * error and a hint on stderr and exits 2; bad input ({@link InputException}, also when Spark wraps
 * it) prints {@code error: …} and exits 2; anything else exits 1. Stack traces only with {@code
 * --verbose}.
 */
public final class JobLauncher {
  /** Exit code for bad options or input. */
  public static final int USAGE_ERROR = 2;

  /** Exit code for a failure while running. */
  public static final int RUN_ERROR = 1;

  private JobLauncher() {}

  /**
   * Parses {@code args} into {@code command}, runs it, and returns the exit code.
   *
   * @param verbose read after parsing: whether to print stack traces
   */
  public static int execute(Object command, String[] args, BooleanSupplier verbose) {
    return execute(command, args, verbose, null, null);
  }

  /**
   * As {@link #execute(Object, String[], BooleanSupplier)}, with help/usage written to {@code
   * stdout} and errors to {@code stderr} (null: standard output / standard error), so tests can
   * read them.
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
          InputException input = findInputException(ex);
          if (input != null) {
            err.println("error: " + input.getMessage());
            if (verbose.getAsBoolean()) {
              ex.printStackTrace(err);
            }
            return USAGE_ERROR;
          }
          // Only the first line: a Spark task failure's message carries the executor's stack
          // trace and the driver's ("Driver stacktrace: ..."), for --verbose only.
          String message = String.valueOf(ex);
          int nl = message.indexOf('\n');
          err.println("error: " + (nl < 0 ? message : message.substring(0, nl)).strip());
          if (verbose.getAsBoolean()) {
            ex.printStackTrace(err);
          } else {
            err.println("(run with --verbose for the stack trace)");
          }
          return RUN_ERROR;
        });
    return cli.execute(args);
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
