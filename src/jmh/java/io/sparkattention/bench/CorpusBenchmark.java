package io.sparkattention.bench;

import io.sparkattention.kernel.Mask;
import io.sparkattention.spark.AttentionRequest;
import io.sparkattention.spark.AttentionSpec;
import io.sparkattention.spark.SparkAttention;
import io.sparkattention.spark.io.SyntheticTokens;
import io.sparkattention.spark.io.TableFormat;
import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.lang.management.MemoryPoolMXBean;
import java.lang.management.MemoryType;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import org.apache.spark.ml.linalg.Vectors;
import org.apache.spark.scheduler.SparkListener;
import org.apache.spark.scheduler.SparkListenerStageCompleted;
import org.apache.spark.scheduler.SparkListenerStageSubmitted;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SaveMode;
import org.apache.spark.sql.SparkSession;

/**
 * Corpus benchmark (issue 13; never part of the test suite): S sequences with lengths drawn from a
 * seeded power law (or all of one length), optionally one long sequence, through {@link
 * SparkAttention#run} (read, validate, plan, shuffle, kernels, write, output check), against the
 * floor every attention job pays, measured in the same run over the same table: read it,
 * repartition by {@code seq_id}, sort within partitions by ({@code seq_id, pos}), write it.
 *
 * <p>Prints, per run, tokens/s, the wall time and its ratio to the floor, the driver's time alone
 * between stages (no stage running) and the driver heap's peak (the sum of each heap pool's peak,
 * an upper bound: the pools peak at different times; in local mode the driver runs the tasks
 * too), the shuffle bytes written and the bytes spilled to disk, over all stages; medians over the
 * repeats after the unmeasured warm-ups. The job's log line "largest partition … of their mean
 * work" gives the attention stage's balance.
 *
 * <p>Usage: {@code jobs/bench-corpus [--master M] [--sequences S] [--min-length A] [--max-length
 * B] [--long N] [--d-model D] [--heads H] [--attention global|causal] [--repeats R] [--warmups W] [--seed X]}
 * (defaults local[2], 200000, 16, 16, 0, 32, 2, causal, 3, 1, 1). With {@code min < max} lengths
 * follow P(n) ∝ n^−2 on [min, max].
 */
public final class CorpusBenchmark {
  private CorpusBenchmark() {}

  public static void main(String[] args) throws IOException {
    Map<String, String> opt =
        BenchSupport.options(
            args,
            "CorpusBenchmark [--master M] [--sequences S] [--min-length A] [--max-length B]"
                + " [--long N] [--d-model D] [--heads H] [--attention global|causal] [--repeats R]"
                + " [--warmups W] [--seed X]");
    String master = opt.getOrDefault("master", "local[2]");
    int sequences = Integer.parseInt(opt.getOrDefault("sequences", "200000"));
    int minLength = Integer.parseInt(opt.getOrDefault("min-length", "16"));
    int maxLength = Integer.parseInt(opt.getOrDefault("max-length", String.valueOf(minLength)));
    int longLength = Integer.parseInt(opt.getOrDefault("long", "0"));
    int d = Integer.parseInt(opt.getOrDefault("d-model", "32"));
    int heads = Integer.parseInt(opt.getOrDefault("heads", "2"));
    boolean causal = !"global".equals(opt.getOrDefault("attention", "causal"));
    int repeats = Integer.parseInt(opt.getOrDefault("repeats", "3"));
    int warmups = Integer.parseInt(opt.getOrDefault("warmups", "1"));
    long seed = Long.parseLong(opt.getOrDefault("seed", "1"));
    Path work = Files.createTempDirectory("sa-bench-corpus");

    SparkSession spark = BenchSupport.session(master, "spark-attention corpus benchmark");
    try {
      String input = work.resolve("corpus.parquet").toString();
      corpus(spark, sequences, minLength, maxLength, longLength, d, seed)
          .write()
          .mode(SaveMode.Overwrite)
          .parquet(input);
      long tokens = spark.read().parquet(input).count();
      System.out.printf(
          "corpus: %,d sequences, lengths %d…%d%s, %,d tokens, d = %d; %s, %s, %d heads;"
              + " medians of %d after %d warm-up(s); driver heap max %d MiB%n",
          sequences + (longLength > 0 ? 1 : 0),
          minLength,
          maxLength,
          longLength > 0 ? " plus one of " + longLength : "",
          tokens,
          d,
          master,
          causal ? "causal" : "global",
          heads,
          repeats,
          warmups,
          Runtime.getRuntime().maxMemory() >> 20);
      AttentionSpec spec =
          AttentionSpec.builder()
              .mask(causal ? Mask.causal() : Mask.none())
              .heads(heads)
              .wholeSequences(true)
              .build();
      double[][] floor = new double[repeats][];
      double[][] job = new double[repeats][];
      for (int r = -warmups; r < repeats; r++) {
        double[] f = measure(spark, () -> floor(spark, input, work));
        double[] j = measure(spark, () -> attention(spark, input, work, spec));
        if (r >= 0) {
          floor[r] = f;
          job[r] = j;
        }
      }
      double floorSeconds = median(floor, 0);
      double jobSeconds = median(job, 0);
      System.out.println(
          "| run | wall s | tokens/s | / floor | driver alone between stages s | driver heap MiB"
              + " (sum of the pools' peaks: an upper bound) | shuffled MiB | spilled MiB |");
      System.out.println("|---|---:|---:|---:|---:|---:|---:|---:|");
      System.out.printf(
          "| floor: read, repartition(seq_id), sort, write | %.1f | %,.0f | 1.00 | %.1f | %.0f"
              + " | %.0f | %.0f |%n",
          floorSeconds,
          tokens / floorSeconds,
          median(floor, 1),
          median(floor, 2),
          median(floor, 3),
          median(floor, 4));
      System.out.printf(
          "| attention | %.1f | %,.0f | %.2f | %.1f | %.0f | %.0f | %.0f |%n",
          jobSeconds,
          tokens / jobSeconds,
          jobSeconds / floorSeconds,
          median(job, 1),
          median(job, 2),
          median(job, 3),
          median(job, 4));
    } finally {
      spark.stop();
      BenchSupport.deleteRecursively(work);
    }
  }

  /**
   * The corpus: sequence s has a length drawn from (seed, s) alone, so the table is the same however
   * Spark partitions its generation; sequence "long" (if any) has {@code longLength} tokens.
   */
  static Dataset<Row> corpus(
      SparkSession spark, int sequences, int min, int max, int longLength, int d, long seed) {
    int slices = Math.max(2, Math.min(64, sequences / 20000));
    return spark.createDataFrame(
        spark
            .range(0, sequences + (longLength > 0 ? 1 : 0), 1, slices)
            .javaRDD()
            .flatMap(
                id -> {
                  boolean isLong = id == sequences;
                  int n = isLong ? longLength : length(id, min, max, seed);
                  String seq = isLong ? "long" : "s" + id;
                  List<Row> rows = new ArrayList<>(n);
                  SplittableRandom rnd = new SplittableRandom(seed * 31 + id);
                  for (int p = 0; p < n; p++) {
                    double[] x = new double[d];
                    for (int i = 0; i < d; i++) {
                      x[i] = rnd.nextDouble() * 2 - 1;
                    }
                    rows.add(RowFactory.create(seq, p, Vectors.dense(x)));
                  }
                  return rows.iterator();
                }),
        SyntheticTokens.schema());
  }

  /** Length of sequence {@code id}: the inverse CDF of P(n) ∝ n^−2 on [min, max]. */
  static int length(long id, int min, int max, long seed) {
    if (min >= max) {
      return min;
    }
    double u = new SplittableRandom(seed ^ (id * 0x9E3779B97F4A7C15L)).nextDouble();
    double n = 1 / (1.0 / min - u * (1.0 / min - 1.0 / max));
    return (int) Math.min(max, Math.floor(n));
  }

  private static void floor(SparkSession spark, String input, Path work) {
    String out = work.resolve("floor-" + System.nanoTime()).toString();
    Dataset<Row> t = spark.read().parquet(input);
    t.repartition(t.col("seq_id"))
        .sortWithinPartitions("seq_id", "pos")
        .write()
        .mode(SaveMode.ErrorIfExists)
        .parquet(out);
    BenchSupport.deleteRecursively(Path.of(out));
  }

  private static void attention(SparkSession spark, String input, Path work, AttentionSpec spec) {
    String out = work.resolve("out-" + System.nanoTime()).toString();
    SparkAttention.run(
        spark,
        AttentionRequest.builder()
            .input(input)
            .output(out)
            .format(TableFormat.PARQUET)
            .spec(spec)
            .build());
    BenchSupport.deleteRecursively(Path.of(out));
  }

  /**
   * {wall seconds, seconds with no stage running, peak heap MiB, shuffle MiB written, MiB spilled
   * to disk} of one run.
   */
  private static double[] measure(SparkSession spark, Runnable run) {
    System.gc();
    for (MemoryPoolMXBean pool : ManagementFactory.getMemoryPoolMXBeans()) {
      pool.resetPeakUsage();
    }
    StageGaps gaps = new StageGaps();
    spark.sparkContext().addSparkListener(gaps);
    long t0 = System.nanoTime();
    run.run();
    long t1 = System.nanoTime();
    spark.sparkContext().removeSparkListener(gaps);
    long peak = 0;
    for (MemoryPoolMXBean pool : ManagementFactory.getMemoryPoolMXBeans()) {
      if (pool.getType() == MemoryType.HEAP) {
        peak += pool.getPeakUsage().getUsed();
      }
    }
    return new double[] {
      (t1 - t0) / 1e9,
      gaps.aloneSeconds(t0, t1),
      peak / 1048576.0,
      gaps.shuffledMiB(),
      gaps.spilledMiB()
    };
  }

  /** Wall time when no stage was running: the driver alone (planning, collecting, committing). */
  static final class StageGaps extends SparkListener {
    private final List<long[]> intervals = new ArrayList<>();
    private final Map<Integer, Long> started = new HashMap<>();
    private long shuffledBytes;
    private long spilledBytes;

    synchronized double shuffledMiB() {
      return shuffledBytes / 1048576.0;
    }

    synchronized double spilledMiB() {
      return spilledBytes / 1048576.0;
    }

    @Override
    public synchronized void onStageSubmitted(SparkListenerStageSubmitted e) {
      started.put(e.stageInfo().stageId(), System.nanoTime());
    }

    @Override
    public synchronized void onStageCompleted(SparkListenerStageCompleted e) {
      Long s = started.remove(e.stageInfo().stageId());
      if (s != null) {
        intervals.add(new long[] {s, System.nanoTime()});
      }
      if (e.stageInfo().taskMetrics() != null) {
        shuffledBytes += e.stageInfo().taskMetrics().shuffleWriteMetrics().bytesWritten();
        spilledBytes += e.stageInfo().taskMetrics().diskBytesSpilled();
      }
    }

    synchronized double aloneSeconds(long t0, long t1) {
      intervals.sort((a, b) -> Long.compare(a[0], b[0]));
      long busy = 0;
      long coveredTo = t0;
      for (long[] iv : intervals) {
        long s = Math.max(iv[0], coveredTo);
        long e = Math.min(iv[1], t1);
        if (e > s) {
          busy += e - s;
          coveredTo = e;
        }
      }
      return (t1 - t0 - busy) / 1e9;
    }
  }


  private static double median(double[][] runs, int column) {
    double[] v = new double[runs.length];
    for (int i = 0; i < runs.length; i++) {
      v[i] = runs[i][column];
    }
    Arrays.sort(v);
    return v[v.length / 2];
  }

}
