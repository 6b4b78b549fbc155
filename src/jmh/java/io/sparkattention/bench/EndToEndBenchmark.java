package io.sparkattention.bench;

import io.sparkattention.cost.KernelCalibration;
import io.sparkattention.kernel.AttentionWeights;
import io.sparkattention.kernel.Mask;
import io.sparkattention.kernel.MatrixEngine;
import io.sparkattention.plan.Strategy;
import io.sparkattention.spark.AttentionRequest;
import io.sparkattention.spark.SparkAttention;
import io.sparkattention.spark.AttentionSpec;
import io.sparkattention.spark.io.SyntheticTokens;
import io.sparkattention.spark.io.TableFormat;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.ToDoubleFunction;
import org.apache.spark.scheduler.SparkListener;
import org.apache.spark.scheduler.SparkListenerTaskEnd;
import org.apache.spark.sql.SaveMode;
import org.apache.spark.sql.SparkSession;

/**
 * End-to-end benchmark of the attention job's machinery (never part of the test suite): one long
 * synthetic sequence through {@link SparkAttention#run} (read, validate, plan, shuffle, kernels,
 * merge, write) for global and causal attention with {@code blocks} and local attention with
 * {@code window}, against the single-thread block kernel measured in the same run.
 *
 * <p>Prints, per configuration, the median job time, the effective GFLOP/s (useful FLOPs, 4·d per
 * allowed query-key pair, over the job time), its ratio to the one-thread kernel and to the
 * kernel times the cores, the longest / mean task time of the attention stage (the stage with the
 * most task time), and for local attention time(2n) / time(n).
 *
 * <p>Usage: {@code jobs/bench-e2e [--master M] [--length N] [--d-model D] [--window W]
 * [--block-size B] [--repeats R]} (defaults local[2], 65536, 64, 128, 1024, 3).
 */
public final class EndToEndBenchmark {
  private EndToEndBenchmark() {}

  public static void main(String[] args) throws IOException {
    Map<String, String> opt =
        BenchSupport.options(
            args,
            "EndToEndBenchmark [--master M] [--length N] [--d-model D] [--window W]"
                + " [--block-size B] [--repeats R]");
    String master = opt.getOrDefault("master", "local[2]");
    int n = Integer.parseInt(opt.getOrDefault("length", "65536"));
    int d = Integer.parseInt(opt.getOrDefault("d-model", "64"));
    int window = Integer.parseInt(opt.getOrDefault("window", "128"));
    int block = Integer.parseInt(opt.getOrDefault("block-size", "1024"));
    int repeats = Integer.parseInt(opt.getOrDefault("repeats", "3"));
    Path work = Files.createTempDirectory("sa-bench-e2e");

    SparkSession spark = BenchSupport.session(master, "spark-attention e2e benchmark");
    int cores = spark.sparkContext().defaultParallelism();
    try {
      double kernel = KernelCalibration.flopsPerSecond(block, d, 15) / 1e9;
      System.out.printf(
          "machine: %d cores for Spark (%s), engine %s, d = %d, block %d, medians of %d%n",
          cores, master, MatrixEngine.defaultEngine().name(), d, block, repeats);
      System.out.printf("single-thread block kernel: %.1f GFLOP/s%n%n", kernel);
      String in1 = writeInput(spark, work, n, d);
      String in2 = writeInput(spark, work, 2 * n, d);

      List<String[]> rows = new ArrayList<>();
      double[] global = run(spark, work, in1, Mask.none(), Strategy.BLOCKS, block, repeats);
      double[] causal = run(spark, work, in1, Mask.causal(), Strategy.BLOCKS, block, repeats);
      double[] local = run(spark, work, in1, Mask.window(window), Strategy.WINDOW, block, repeats);
      double[] local2 =
          run(spark, work, in2, Mask.window(window), Strategy.WINDOW, block, repeats);
      double pairsGlobal = (double) n * n;
      double pairsCausal = (double) n * (n + 1) / 2;
      double pairsLocal = localPairs(n, window);
      double pairsLocal2 = localPairs(2 * n, window);
      rows.add(row("global, blocks", n, global, 4.0 * d * pairsGlobal, kernel, cores));
      rows.add(row("causal, blocks", n, causal, 4.0 * d * pairsCausal, kernel, cores));
      rows.add(row("local w=" + window + ", window", n, local, 4.0 * d * pairsLocal, kernel, cores));
      rows.add(
          row("local w=" + window + ", window", 2 * n, local2, 4.0 * d * pairsLocal2, kernel, cores));
      System.out.println(
          "| config | n | job s | effective GFLOP/s | / kernel (1 thread) | / kernel × cores |"
              + " longest / mean task |");
      System.out.println("|---|---:|---:|---:|---:|---:|---:|");
      for (String[] r : rows) {
        System.out.println("| " + String.join(" | ", r) + " |");
      }
      System.out.printf(
          "%ncausal / global time: %.2f; local time(2n) / time(n): %.2f%n",
          causal[0] / global[0], local2[0] / local[0]);
    } finally {
      spark.stop();
      BenchSupport.deleteRecursively(work);
    }
  }

  /** Median job seconds and median longest/mean task of the attention stage over the repeats. */
  private static double[] run(
      SparkSession spark,
      Path work,
      String input,
      Mask mask,
      Strategy strategy,
      int block,
      int repeats) {
    AttentionSpec spec =
        AttentionSpec.builder().mask(mask).strategy(strategy).blockSize(block).build();
    double[] seconds = new double[repeats];
    double[] balance = new double[repeats];
    for (int r = -1; r < repeats; r++) { // one unmeasured warm-up run
      TaskTimes times = new TaskTimes();
      spark.sparkContext().addSparkListener(times);
      String out = work.resolve("out-" + System.nanoTime()).toString();
      long t0 = System.nanoTime();
      SparkAttention.run(
          spark,
          AttentionRequest.builder()
              .input(input)
              .output(out)
              .format(TableFormat.PARQUET)
              .spec(spec)
              .build());
      long t1 = System.nanoTime();
      spark.sparkContext().removeSparkListener(times);
      BenchSupport.deleteRecursively(Path.of(out));
      if (r >= 0) {
        seconds[r] = (t1 - t0) / 1e9;
        balance[r] = times.longestOverMeanOfBusiestStage();
      }
    }
    return new double[] {median(seconds), median(balance)};
  }

  private static String[] row(
      String name, int n, double[] measured, double flops, double kernelGflops, int cores) {
    double gflops = flops / measured[0] / 1e9;
    return new String[] {
      name,
      Integer.toString(n),
      String.format("%.2f", measured[0]),
      String.format("%.1f", gflops),
      String.format("%.2f", gflops / kernelGflops),
      String.format("%.2f", gflops / (kernelGflops * cores)),
      String.format("%.2f", measured[1])
    };
  }

  /** Allowed pairs of a window mask |i − j| ≤ w over n positions. */
  static double localPairs(long n, long w) {
    double pairs = 0;
    for (long i = 0; i < n; i++) {
      pairs += Math.min(n - 1, i + w) - Math.max(0, i - w) + 1;
    }
    return pairs;
  }

  private static String writeInput(SparkSession spark, Path work, int n, int d) {
    String path = work.resolve("tokens-" + n + ".parquet").toString();
    SyntheticTokens.generate(spark, 1, n, d, 7).write().mode(SaveMode.Overwrite).parquet(path);
    return path;
  }

  private static double median(double[] values) {
    double[] v = values.clone();
    Arrays.sort(v);
    return v[v.length / 2];
  }



  /** Task durations per stage. */
  static final class TaskTimes extends SparkListener {
    private final Map<Integer, List<Long>> byStage = new HashMap<>();

    @Override
    public synchronized void onTaskEnd(SparkListenerTaskEnd end) {
      byStage.computeIfAbsent(end.stageId(), k -> new ArrayList<>()).add(end.taskInfo().duration());
    }

    /** Longest / mean task time of the stage with the most summed task time. */
    synchronized double longestOverMeanOfBusiestStage() {
      ToDoubleFunction<List<Long>> total = l -> l.stream().mapToLong(Long::longValue).sum();
      List<Long> busiest =
          byStage.values().stream()
              .max((a, b) -> Double.compare(total.applyAsDouble(a), total.applyAsDouble(b)))
              .orElse(List.of());
      if (busiest.isEmpty()) {
        return Double.NaN;
      }
      double mean = total.applyAsDouble(busiest) / busiest.size();
      long max = busiest.stream().mapToLong(Long::longValue).max().getAsLong();
      return max / mean;
    }
  }
}
