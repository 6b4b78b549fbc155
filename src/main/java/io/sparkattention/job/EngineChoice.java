package io.sparkattention.job;

import io.sparkattention.kernel.MatrixEngine;
import io.sparkattention.spark.InputException;
import java.util.Locale;
import org.apache.spark.SparkConf;
import org.apache.spark.sql.SparkSession;
import picocli.CommandLine.Option;

/**
 * The jobs' {@code --engine} option (a picocli mixin): which {@link MatrixEngine} the kernels use.
 * The engine is a per-JVM choice ({@link MatrixEngine#defaultEngine()} reads the system property
 * {@code sparkattention.engine} once), so the option sets that property on the driver (which is
 * also the executor in local mode) and appends it to {@code spark.executor.extraJavaOptions} for
 * executors that the session is about to start.
 */
final class EngineChoice {
  static final String PROPERTY = "sparkattention.engine";

  /** The default: the best engine that loads ({@link MatrixEngine#defaultEngine()}). */
  static final String AUTO = "auto";

  @Option(
      names = "--engine",
      paramLabel = "auto|blas|blas-java|ejml",
      description =
          "Matrix engine of the kernels: auto (netlib BLAS when it loads, native OpenBLAS if"
              + " installed, else EJML), blas, blas-java (netlib's pure-Java BLAS, never native)"
              + " or ejml (default: ${DEFAULT-VALUE}).")
  String name = AUTO;

  /**
   * This option's engine, checked, in lower case.
   *
   * @throws InputException for an unknown engine, or one that cannot load here
   */
  String validated() {
    return validate(name);
  }

  /**
   * Makes this JVM's kernels use this option's engine (no session: the cost report's {@code
   * --predict} calibrates the kernel in the JVM it runs in); returns the engine's name.
   */
  String applyToThisJvm() {
    String n = validate(name);
    if (!n.equals(AUTO)) {
      System.setProperty(PROPERTY, n);
    }
    return n;
  }

  /** Makes the driver and the executors of {@code builder}'s session use this option's engine. */
  SparkSession.Builder applyTo(SparkSession.Builder builder) {
    return apply(name, builder);
  }

  /**
   * Checks {@code name} and returns it in lower case.
   *
   * @throws InputException for an unknown engine, or one that cannot load here
   */
  static String validate(String name) {
    String n = name.trim().toLowerCase(Locale.ROOT);
    if (n.equals(AUTO)) {
      return n;
    }
    try {
      MatrixEngine.named(n);
    } catch (IllegalArgumentException e) {
      throw new InputException("--engine: " + e.getMessage());
    }
    return n;
  }

  /** Makes the driver and the executors of {@code builder}'s session use engine {@code name}. */
  static SparkSession.Builder apply(String name, SparkSession.Builder builder) {
    String n = validate(name);
    if (n.equals(AUTO)) {
      return builder;
    }
    System.setProperty(PROPERTY, n);
    // new SparkConf() sees what spark-submit set (spark.* system properties).
    String executorOpts = new SparkConf().get("spark.executor.extraJavaOptions", "");
    return builder.config("spark.executor.extraJavaOptions", executorOptions(executorOpts, n));
  }

  /** {@code existing} executor JVM options with the engine property appended. */
  static String executorOptions(String existing, String engine) {
    return (existing + " -D" + PROPERTY + "=" + engine).trim();
  }
}
