package io.sparkattention.job;

import io.sparkattention.cost.Calibration;
import io.sparkattention.cost.ClusterSpec;
import io.sparkattention.spark.InputException;
import java.io.IOException;
import java.nio.file.Paths;
import java.util.stream.Stream;
import picocli.CommandLine.Option;

/** The cluster that {@code jobs/cost-report --predict} describes, and its calibration file. */
final class ClusterOptions {
  @Option(
      names = "--executors",
      paramLabel = "E",
      description = "With --predict: executors of the cluster described.")
  Integer executors;

  @Option(
      names = "--executor-cores",
      paramLabel = "C",
      description = "With --predict: cores (task slots) per executor.")
  Integer executorCores;

  @Option(
      names = "--executor-memory",
      paramLabel = "M",
      description = "With --predict: heap per executor, as Spark writes it (4g, 512m).")
  String executorMemory;

  @Option(
      names = "--core-hour-price",
      paramLabel = "P",
      description = "With --predict: price of one core-hour, for the report's price column.")
  Double coreHourPrice;

  @Option(
      names = "--calibration",
      paramLabel = "FILE",
      description =
          "The calibration.properties a measured report wrote (kernel rates and fitted fixed"
              + " costs). With --predict: used instead of measuring the kernel now with the default"
              + " fixed costs. In a measured report: every run is also predicted from it, as it is,"
              + " beside its measurement (say, a cluster run predicted from a local[2]"
              + " calibration).")
  String calibration;

  /** Whether a cluster option was given (a measured report runs on its master, and takes none). */
  boolean clusterGiven() {
    return executors != null
        || executorCores != null
        || executorMemory != null
        || coreHourPrice != null;
  }

  /**
   * The cluster described.
   *
   * @throws InputException naming the missing or bad option
   */
  ClusterSpec spec() {
    if (executors == null || executorCores == null || executorMemory == null) {
      throw new InputException(
          "--predict needs the cluster: --executors E --executor-cores C --executor-memory M"
              + " (missing "
              + String.join(
                  ", ",
                  Stream.of(
                          executors == null ? "--executors" : null,
                          executorCores == null ? "--executor-cores" : null,
                          executorMemory == null ? "--executor-memory" : null)
                      .filter(x -> x != null)
                      .toList())
              + ")");
    }
    if (executors < 1) {
      throw new InputException("--executors must be >= 1, got " + executors);
    }
    if (executorCores < 1) {
      throw new InputException("--executor-cores must be >= 1, got " + executorCores);
    }
    long memory;
    try {
      memory = ClusterSpec.parseMemory(executorMemory);
    } catch (IllegalArgumentException e) {
      throw new InputException("--executor-memory: " + e.getMessage());
    }
    if (memory <= ClusterSpec.RESERVED_BYTES) {
      throw new InputException(
          "--executor-memory must exceed Spark's reserved 300 MiB, got " + executorMemory);
    }
    if (coreHourPrice != null && !(coreHourPrice >= 0 && coreHourPrice < Double.MAX_VALUE)) {
      throw new InputException("--core-hour-price must be >= 0, got " + coreHourPrice);
    }
    return new ClusterSpec(
        executors, executorCores, memory, coreHourPrice == null ? Double.NaN : coreHourPrice);
  }

  /** The {@code --calibration} file's path, or null. */
  String calibrationPath() {
    return calibration;
  }

  /**
   * The {@code --calibration} file read, or null without one.
   *
   * @throws InputException if it is missing or not a calibration
   */
  Calibration calibration() throws IOException {
    return calibration == null ? null : readCalibration(calibration);
  }

  private static Calibration readCalibration(String path) throws IOException {
    try {
      return Calibration.read(Paths.get(path));
    } catch (java.nio.file.NoSuchFileException e) {
      throw new InputException("--calibration: no such file " + path);
    } catch (IllegalArgumentException e) {
      throw new InputException("--calibration: " + e.getMessage());
    }
  }
}
