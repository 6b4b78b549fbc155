package io.sparkattention.spark.cost;

import io.sparkattention.cost.Calibration;
import io.sparkattention.cost.ClusterSpec;
import io.sparkattention.cost.CostEstimate;
import io.sparkattention.cost.CostModel;
import io.sparkattention.cost.CostRow;
import io.sparkattention.cost.KernelCalibration;
import io.sparkattention.cost.TimeModel;
import io.sparkattention.kernel.AttentionWeights;
import io.sparkattention.kernel.Mask;
import io.sparkattention.plan.AttentionPlan;
import io.sparkattention.plan.PlanOptions;
import io.sparkattention.plan.Strategy;
import io.sparkattention.spark.AttentionRequest;
import io.sparkattention.spark.AttentionSpec;
import io.sparkattention.spark.SparkAttention;
import io.sparkattention.spark.attention.PyramidReduction;
import io.sparkattention.spark.io.SyntheticTokens;
import io.sparkattention.spark.io.TableFormat;
import io.sparkattention.spark.metrics.Elapsed;
import io.sparkattention.spark.metrics.StageMetricsListener;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import org.apache.spark.sql.SaveMode;
import org.apache.spark.sql.SparkSession;
import org.ejml.data.DMatrixRMaj;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Runs every applicable attention configuration over a range of sequence lengths, measures each run
 * with a {@link StageMetricsListener}, and sets the {@link CostModel}'s figures beside the medians:
 * the machinery behind the cost report.
 */
public final class CostSweep {
  private static final Logger LOG = LoggerFactory.getLogger(CostSweep.class);

  private CostSweep() {}

  /**
   * Seeded random projection weights for inputs of width d: queries and the output d wide ({@code
   * heads} heads of d/heads), keys and values {@code kvHeads} heads of d/heads; no biases.
   */
  static AttentionWeights projections(int d, int heads, int kvHeads) {
    Random rnd = new Random(17);
    int kv = kvHeads * (d / heads);
    return AttentionWeights.builder()
        .query(gaussian(rnd, d, d), null)
        .key(gaussian(rnd, d, kv), null)
        .value(gaussian(rnd, d, kv), null)
        .output(gaussian(rnd, d, d), null)
        .build();
  }

  private static DMatrixRMaj gaussian(Random rnd, int rows, int cols) {
    DMatrixRMaj m = new DMatrixRMaj(rows, cols);
    double sd = 1 / Math.sqrt(rows);
    for (int i = 0; i < m.data.length; i++) {
      m.data[i] = rnd.nextGaussian() * sd;
    }
    return m;
  }

  /** The configuration's weights: none, or {@link #projections}. */
  static AttentionWeights weights(SweepSettings s, Config c) {
    return c.kvHeads() == 0
        ? AttentionWeights.none()
        : projections(s.dModel(), s.numHeads(), c.kvHeads());
  }

  /**
   * Measures the kernel's rates (on the driver, one thread, at the sweep's block size and head
   * width: {@link KernelCalibration#rates}) and warms the session up with a few tiny jobs (class
   * loading and JIT compilation, paid once, would otherwise land on the first configuration). The
   * fixed figures are the defaults until {@link io.sparkattention.cost.TimeFit} fits them to the
   * sweep.
   */
  public static Calibration calibrate(SparkSession spark, SweepSettings s) {
    int dHead = s.dModel() / s.numHeads();
    KernelCalibration.Rates rates = KernelCalibration.rates(s.blockSize(), dHead, 9);
    String engine = io.sparkattention.kernel.MatrixEngine.defaultEngine().name();
    String tiny = writeSynthetic(spark, s, s.blockSize(), "calibration-tiny");
    Config single = new Config("calibration", "global", Mask.none(), Strategy.SINGLE);
    AttentionSpec tinySpec =
        AttentionSpec.builder().strategy(Strategy.SINGLE).blockSize(s.blockSize()).build();
    for (int r = 0; r < 3; r++) {
      run(spark, s, single, tiny, tinySpec);
    }
    double[] fixed = Calibration.DEFAULT_FIXED;
    Calibration cal =
        new Calibration(
            Calibration.thisMachine(),
            engine,
            s.blockSize(),
            dHead,
            rates.flopsPerSecond(),
            rates.scoresPerSecond(),
            fixed[0],
            fixed[1],
            fixed[2],
            "defaults (not yet fitted)");
    LOG.info(
        "calibration: kernel {} GFLOP/s per slot, softmax {} M scores/s ({}, blocks of {}, head width {})",
        String.format("%.1f", rates.flopsPerSecond() / 1e9),
        String.format("%.0f", rates.scoresPerSecond() / 1e6),
        engine,
        s.blockSize(),
        dHead);
    return cal;
  }

  /** The time model of {@code cal} on this session's slots and memory per task. */
  public static TimeModel model(SparkSession spark, Calibration cal) {
    int slots = spark.sparkContext().defaultParallelism();
    return cal.model(slots, taskMemoryBytes(spark, slots));
  }

  /**
   * Memory a task gets (as the job's memory check counts it): Spark's unified memory, (heap − 300
   * MiB) × 0.6, of the driver's heap shared by its slots in local mode, else of an executor's
   * memory shared by its cores.
   */
  static long taskMemoryBytes(SparkSession spark, int slots) {
    org.apache.spark.SparkConf conf = spark.sparkContext().getConf();
    boolean local = spark.sparkContext().isLocal();
    long heap =
        local
            ? Runtime.getRuntime().maxMemory()
            : conf.getSizeAsBytes("spark.executor.memory", "1g");
    int cores = local ? Math.max(1, slots) : Math.max(1, conf.getInt("spark.executor.cores", 1));
    double fraction = conf.getDouble("spark.memory.fraction", ClusterSpec.MEMORY_FRACTION);
    return (long) (Math.max(0, heap - ClusterSpec.RESERVED_BYTES) * fraction / cores);
  }

  /** Runs the sweep; one progress line per configuration and length. */
  public static List<CostRow> sweep(SparkSession spark, SweepSettings s, TimeModel model) {
    List<Config> configs = Config.all(s);
    List<Integer> lengths = s.input() == null ? s.lengths() : List.of(-1);
    int total = configs.size() * lengths.size();
    int done = 0;
    long start = System.nanoTime();
    List<CostRow> rows = new ArrayList<>();
    for (int n : lengths) {
      String input = s.input() != null ? s.input() : writeSynthetic(spark, s, n, "input-" + n);
      for (Config c : configs) {
        done++;
        AttentionSpec spec =
            AttentionSpec.builder()
                .mask(c.mask())
                .heads(s.numHeads())
                .strategy(c.strategy())
                .blockSize(s.blockSize())
                .pyramidLevels(c.pyramidLevels())
                .weights(weights(s, c))
                .kvHeads(c.kvHeads())
                .build();
        if (c.strategy() == Strategy.SINGLE && s.input() == null && !fitsOneTask(s, n)) {
          LOG.info(
              "[{}/{}] {} n={}: skipped, one task would not fit in memory",
              done,
              total,
              c.name(),
              n);
          continue;
        }
        if (c.mask().kind() == Mask.Kind.WINDOW && s.input() == null && c.mask().window() >= n) {
          LOG.info(
              "[{}/{}] {} n={}: skipped, the window reaches past the sequence (local = global)",
              done,
              total,
              c.name(),
              n);
          continue;
        }
        List<Measured> runs = new ArrayList<>();
        for (int r = 0; r < s.repeats(); r++) {
          runs.add(run(spark, s, c, input, spec));
        }
        CostRow row = row(c, s, runs, model);
        rows.add(row);
        LOG.info(
            "[{}/{}] {} n={}: median {} s over {} runs, shuffle {} MiB (elapsed {})",
            done,
            total,
            c.name(),
            row.seqLen(),
            String.format("%.2f", row.wallMillis() / 1000.0),
            s.repeats(),
            String.format("%.1f", row.shuffleBytesWritten() / 1048576.0),
            Elapsed.since(start));
      }
    }
    return rows;
  }

  /**
   * Whether one task per sequence fits: the model's working set of the single plan within a quarter
   * of this JVM's heap (Spark's execution share, less headroom for the shuffle).
   */
  static boolean fitsOneTask(SweepSettings s, int n) {
    AttentionPlan plan =
        AttentionPlan.create(
            new long[] {n},
            PlanOptions.builder()
                .strategy(Strategy.SINGLE)
                .blockSize(s.blockSize())
                .numHeads(s.numHeads())
                .build());
    CostEstimate e =
        CostModel.estimate(
            plan, CostModel.Widths.self(s.dModel()), CostModel.Framing.KRYO_REGISTERED);
    return e.peakTaskBytes() <= Runtime.getRuntime().maxMemory() / 4;
  }

  /** One measured run. */
  static final class Measured {
    long wallMillis;
    StageMetricsListener.Snapshot metrics;
    AttentionPlan plan;
    long maxLength;
    int width;
    List<PyramidReduction.Level> pyramid;
  }

  static Measured run(
      SparkSession spark, SweepSettings s, Config c, String input, AttentionSpec spec) {
    StageMetricsListener listener = new StageMetricsListener();
    spark.sparkContext().addSparkListener(listener);
    Measured m = new Measured();
    try {
      String out = s.workDir().resolve("out-" + c.name()).toString();
      long t0 = System.nanoTime();
      SparkAttention.Outcome o =
          SparkAttention.run(
              spark,
              AttentionRequest.builder()
                  .input(input)
                  .output(out)
                  .format(TableFormat.fromPath(input))
                  .overwrite(true)
                  .spec(spec)
                  .build());
      m.wallMillis = (System.nanoTime() - t0) / 1_000_000;
      m.plan = o.plan();
      m.maxLength = o.maxLength();
      m.width = o.width();
      m.pyramid = o.pyramid();
      try {
        // The listener bus is asynchronous: let it deliver the run's last task-end events.
        spark.sparkContext().listenerBus().waitUntilEmpty();
      } catch (java.util.concurrent.TimeoutException e) {
        LOG.warn("listener bus did not drain; metrics of {} may be incomplete", c.name());
      }
      m.metrics = listener.snapshot();
    } finally {
      spark.sparkContext().removeSparkListener(listener);
    }
    return m;
  }

  static CostRow row(Config c, SweepSettings s, List<Measured> runs, TimeModel model) {
    Measured first = runs.get(0);
    int d = first.width;
    CostEstimate e;
    if (c.pyramidLevels() > 0) {
      // seq_len and d_model stay the input's; attention runs over the top level, 2^L·d wide.
      int top = d << c.pyramidLevels();
      e =
          CostModel.estimatePyramid(
              first.plan,
              CostModel.Widths.self(top),
              c.pyramidLevels(),
              first.pyramid.get(0).steps(),
              CostModel.Framing.KRYO_REGISTERED);
    } else {
      // As the job estimates: projected widths from the weights, keys and values G heads wide.
      AttentionWeights w = weights(s, c);
      int g = c.kvHeads() == 0 ? s.numHeads() : c.kvHeads();
      e =
          CostModel.estimate(
              first.plan,
              new CostModel.Widths(
                  d,
                  d,
                  w.queryWidth(d),
                  w.concatWidth(d, s.numHeads(), g),
                  w.keyWidth(d),
                  w.valueWidth(d)),
              CostModel.Framing.KRYO_REGISTERED);
    }
    TimeModel.Terms terms = model.terms(e);
    return new CostRow(
        c.name(),
        c.attention(),
        c.strategy().toString(),
        first.maxLength,
        d,
        s.numHeads(),
        c.mask().window(),
        s.blockSize(),
        runs.size(),
        first.plan.tasks().size(),
        median(runs, r -> r.wallMillis),
        median(runs, r -> r.metrics.taskMillis()),
        median(runs, r -> r.metrics.longestTaskMillis()),
        median(runs, r -> r.metrics.tasks()),
        median(runs, r -> r.metrics.shuffleBytesWritten()),
        median(runs, r -> r.metrics.shuffleBytesRead()),
        median(runs, r -> r.metrics.bytesSpilled()),
        median(runs, r -> r.metrics.peakExecutionMemoryBytes()),
        e.usefulFlops(),
        e.executedFlops(),
        e.shuffleBytes(),
        e.peakTaskBytes(),
        Math.round(terms.seconds() * 1000),
        c.kvHeads() == 0 ? s.numHeads() : c.kvHeads(),
        e,
        terms,
        -1);
  }

  private static long median(List<Measured> runs, java.util.function.ToLongFunction<Measured> f) {
    long[] v = runs.stream().mapToLong(f).toArray();
    Arrays.sort(v);
    return v[v.length / 2];
  }

  private static String writeSynthetic(SparkSession spark, SweepSettings s, int n, String name) {
    String path = s.workDir().resolve(name).toString();
    SyntheticTokens.generate(spark, 1, n, s.dModel(), 1)
        .write()
        .mode(SaveMode.Overwrite)
        .parquet(path);
    return path;
  }
}
