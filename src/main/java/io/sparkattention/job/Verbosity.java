package io.sparkattention.job;

import picocli.CommandLine.Option;

/**
 * The jobs' {@code --verbose} option, a picocli mixin. {@link JobLauncher} reads it from the parse
 * result: with it, errors come with their stack traces.
 */
final class Verbosity {
  static final String OPTION = "--verbose";

  @Option(names = OPTION, description = "Show stack traces on errors.")
  boolean verbose;
}
