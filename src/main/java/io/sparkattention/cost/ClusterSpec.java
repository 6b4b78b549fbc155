package io.sparkattention.cost;

import java.util.Locale;

/**
 * A cluster described for a prediction: {@code executors} executors of {@code executorCores} cores
 * and {@code executorMemoryBytes} of heap each, and optionally the price of one core-hour.
 *
 * @param executors executors, ≥ 1
 * @param executorCores cores (task slots) per executor, ≥ 1
 * @param executorMemoryBytes heap per executor ({@code spark.executor.memory}), above Spark's
 *     reserved 300 MiB
 * @param coreHourPrice price of one core-hour, ≥ 0, or NaN when not given
 */
public record ClusterSpec(
    int executors, int executorCores, long executorMemoryBytes, double coreHourPrice) {
  /** Spark's reserved system memory (UnifiedMemoryManager.RESERVED_SYSTEM_MEMORY_BYTES). */
  public static final long RESERVED_BYTES = 300L * 1024 * 1024;

  /** Spark's default {@code spark.memory.fraction}: the unified (execution and storage) share. */
  public static final double MEMORY_FRACTION = 0.6;

  /**
   * @throws IllegalArgumentException naming the figure if executors or cores are below 1, the
   *     memory does not exceed the reserved 300 MiB, or the price is negative or infinite
   */
  public ClusterSpec {
    if (executors < 1) {
      throw new IllegalArgumentException("executors must be >= 1, got " + executors);
    }
    if (executorCores < 1) {
      throw new IllegalArgumentException("executor cores must be >= 1, got " + executorCores);
    }
    if (executorMemoryBytes <= RESERVED_BYTES) {
      throw new IllegalArgumentException(
          "executor memory must exceed Spark's reserved 300 MiB, got "
              + executorMemoryBytes
              + " bytes");
    }
    if (!Double.isNaN(coreHourPrice) && !(coreHourPrice >= 0 && coreHourPrice < Double.MAX_VALUE)) {
      throw new IllegalArgumentException("core-hour price must be >= 0, got " + coreHourPrice);
    }
  }

  /** Task slots: executors × cores. */
  public long slots() {
    return (long) executors * executorCores;
  }

  /**
   * Memory one task may use: Spark's unified memory, (heap − 300 MiB) × 0.6, shared by the tasks an
   * executor runs at once (its cores), as the attention job's memory check counts it.
   */
  public long taskMemoryBytes() {
    return (long) ((executorMemoryBytes - RESERVED_BYTES) * MEMORY_FRACTION / executorCores);
  }

  /** Core-hours of holding the whole cluster for {@code seconds}. */
  public double coreHours(double seconds) {
    return seconds * slots() / 3600.0;
  }

  /** Price of holding the cluster for {@code seconds}: NaN without a core-hour price. */
  public double price(double seconds) {
    return coreHours(seconds) * coreHourPrice;
  }

  /**
   * Parses a memory size as Spark writes them: a whole number with an optional unit {@code b, k, m,
   * g, t} (binary: k = 1024 bytes), case-insensitive, with an optional trailing {@code b} after the
   * unit ({@code 4g}, {@code 4gb}, {@code 512m}, {@code 1073741824}); no unit means bytes.
   *
   * @throws IllegalArgumentException quoting the text if it is not such a size or overflows
   */
  public static long parseMemory(String text) {
    String s = text == null ? "" : text.trim().toLowerCase(Locale.ROOT);
    if (s.length() > 1 && s.endsWith("b") && !Character.isDigit(s.charAt(s.length() - 2))) {
      s = s.substring(0, s.length() - 1); // "4gb" → "4g"
    }
    int shift = 0;
    if (!s.isEmpty()) {
      switch (s.charAt(s.length() - 1)) {
        case 'b' -> shift = -1;
        case 'k' -> shift = 10;
        case 'm' -> shift = 20;
        case 'g' -> shift = 30;
        case 't' -> shift = 40;
        default -> shift = 0;
      }
    }
    String digits = shift == 0 ? s : s.substring(0, s.length() - 1);
    if (digits.isEmpty() || !digits.chars().allMatch(Character::isDigit)) {
      throw new IllegalArgumentException(
          "not a memory size: '"
              + text
              + "' (a whole number with an optional unit k, m, g or t, e.g. 4g)");
    }
    try {
      long v = Long.parseLong(digits);
      int bits = Math.max(0, shift);
      if (bits > 0 && v > (Long.MAX_VALUE >> bits)) {
        throw new NumberFormatException();
      }
      return v << bits;
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException("memory size too large: '" + text + "'", e);
    }
  }

  /** {@code E × C cores, M GiB each} for reports. */
  @Override
  public String toString() {
    return String.format(
        Locale.ROOT,
        "%d executors × %d cores (%d slots), %.1f GiB heap each, %.0f MiB per task",
        executors,
        executorCores,
        slots(),
        executorMemoryBytes / 1073741824.0,
        taskMemoryBytes() / 1048576.0);
  }
}
