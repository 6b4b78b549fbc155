package io.sparkattention.spark.metrics;

/** Elapsed wall time for progress lines. */
public final class Elapsed {
  private Elapsed() {}

  /** The time since {@code startNanos} ({@link System#nanoTime()}), e.g. {@code "3.2 s"}. */
  public static String since(long startNanos) {
    return String.format("%.1f s", (System.nanoTime() - startNanos) / 1e9);
  }
}
