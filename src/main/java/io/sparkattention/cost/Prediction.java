package io.sparkattention.cost;

import io.sparkattention.kernel.Mask;
import io.sparkattention.plan.Strategy;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.function.IntFunction;

/**
 * A cost report without running anything: the plans the job would cut for each (attention kind,
 * strategy, block size, window, length), the {@link CostModel}'s figures for them, the {@link
 * TimeModel}'s time on a described cluster, core-hours and price, whether the largest task fits in
 * a task's memory, and per (kind, window, length) the plan it would choose and why. Pure planning:
 * no Spark.
 */
public final class Prediction {
  /** Longest sequence a prediction takes (plans of 10^7 tokens take about a second each). */
  public static final long MAX_LENGTH = 10_000_000L;

  private Prediction() {}

  /** Attention kinds a prediction covers: the mask, and hard attention's kernel. */
  public enum Kind {
    /** Every query attends to every key. */
    GLOBAL,
    /** Query i attends to keys j ≤ i. */
    CAUSAL,
    /** Query i attends to keys with |i − j| ≤ window. */
    LOCAL,
    /** Global hard attention: the argmax key's value, no value product. */
    HARD;

    /** The mask of this kind with local's {@code window}. */
    Mask mask(int window) {
      return switch (this) {
        case GLOBAL, HARD -> Mask.none();
        case CAUSAL -> Mask.causal();
        case LOCAL -> Mask.window(window);
      };
    }

    /** Lower-case name, as the options and reports write it. */
    public String label() {
      return name().toLowerCase(Locale.ROOT);
    }
  }

  /**
   * What to predict.
   *
   * @param lengths sequence lengths (one sequence each), 1 to {@link #MAX_LENGTH}
   * @param kinds attention kinds
   * @param strategies strategies to consider (window only for local attention, heads only with more
   *     than one head)
   * @param heads heads
   * @param dModel vector width
   * @param windows local attention's windows
   * @param blockSizes kernel block sizes to consider
   * @param cluster the cluster
   */
  public record Settings(
      List<Long> lengths,
      List<Kind> kinds,
      List<Strategy> strategies,
      int heads,
      int dModel,
      List<Integer> windows,
      List<Integer> blockSizes,
      ClusterSpec cluster) {
    /**
     * @throws IllegalArgumentException naming the figure for an empty list, a length out of range,
     *     or heads not dividing d
     */
    public Settings {
      lengths = List.copyOf(lengths);
      kinds = List.copyOf(kinds);
      strategies = List.copyOf(strategies);
      windows = List.copyOf(windows);
      blockSizes = List.copyOf(blockSizes);
      if (lengths.isEmpty() || kinds.isEmpty() || strategies.isEmpty() || blockSizes.isEmpty()) {
        throw new IllegalArgumentException("lengths, kinds, strategies and block sizes are needed");
      }
      for (long n : lengths) {
        if (n < 1 || n > MAX_LENGTH) {
          throw new IllegalArgumentException(
              "lengths must be 1 to " + MAX_LENGTH + " tokens, got " + n);
        }
      }
      if (heads < 1 || dModel < 1 || dModel % heads != 0) {
        throw new IllegalArgumentException("heads " + heads + " must divide d " + dModel);
      }
      if (kinds.contains(Kind.LOCAL) && windows.isEmpty()) {
        throw new IllegalArgumentException("local attention needs a window");
      }
    }
  }

  /**
   * One predicted plan.
   *
   * @param config kind-strategy (and -wW for local)
   * @param kind attention kind
   * @param strategy strategy
   * @param seqLen tokens
   * @param window local's window (0 otherwise)
   * @param blockSize block size
   * @param estimate the cost model's figures
   * @param terms the time model's terms on the cluster
   * @param fits whether the largest task's working set fits in a task's memory
   */
  public record Row(
      String config,
      Kind kind,
      Strategy strategy,
      long seqLen,
      int window,
      int blockSize,
      CostEstimate estimate,
      TimeModel.Terms terms,
      boolean fits) {
    /** Predicted wall seconds. */
    public double seconds() {
      return terms.seconds();
    }
  }

  /**
   * The plan chosen for one (kind, window, length), null when none fits, and why.
   *
   * @param kind attention kind
   * @param window local's window (0 otherwise)
   * @param seqLen tokens
   * @param chosen the fastest plan that fits, or null
   * @param why a sentence: what fits, how much faster than the next, what did not fit
   */
  public record Choice(Kind kind, int window, long seqLen, Row chosen, String why) {}

  /** Every predicted row and the choices. */
  public record Result(Settings settings, List<Row> rows, List<Choice> choices) {}

  /** Whether {@code strategy} applies to {@code kind} with {@code heads} heads. */
  static boolean applies(Kind kind, Strategy strategy, int heads) {
    return switch (strategy) {
      case WINDOW -> kind == Kind.LOCAL;
      case HEADS -> heads > 1;
      case BLOCKS, SINGLE -> true;
      default -> false;
    };
  }

  /**
   * Predicts every applicable plan.
   *
   * @param models the time model per block size (the kernel's rates depend on it), on the cluster's
   *     slots and memory per task
   */
  public static Result predict(Settings s, IntFunction<TimeModel> models) {
    List<Row> rows = new ArrayList<>();
    List<Choice> choices = new ArrayList<>();
    long taskMemory = s.cluster().taskMemoryBytes();
    for (Kind kind : s.kinds()) {
      List<Integer> windows = kind == Kind.LOCAL ? s.windows() : List.of(0);
      for (int w : windows) {
        for (long n : s.lengths()) {
          List<Row> candidates = new ArrayList<>();
          for (Strategy st : s.strategies()) {
            if (!applies(kind, st, s.heads())) {
              continue;
            }
            for (int b : s.blockSizes()) {
              CostEstimate e =
                  PlanCosts.estimate(
                      n, kind.mask(w), st, b, s.heads(), s.dModel(), kind == Kind.HARD);
              TimeModel.Terms t = models.apply(b).terms(e);
              String config =
                  kind.label() + "-" + st + (kind == Kind.LOCAL ? "-w" + w : "") + "-b" + b;
              candidates.add(
                  new Row(config, kind, st, n, w, b, e, t, e.peakTaskBytes() <= taskMemory));
            }
          }
          rows.addAll(candidates);
          choices.add(choose(kind, w, n, candidates, taskMemory));
        }
      }
    }
    return new Result(s, rows, choices);
  }

  /** The fastest plan that fits (ties: the smaller working set), with the reasons. */
  static Choice choose(Kind kind, int window, long n, List<Row> candidates, long taskMemory) {
    List<Row> fit = new ArrayList<>();
    List<Row> tooBig = new ArrayList<>();
    for (Row r : candidates) {
      (r.fits() ? fit : tooBig).add(r);
    }
    fit.sort(
        Comparator.comparingDouble(Row::seconds)
            .thenComparingLong(r -> r.estimate().peakTaskBytes()));
    StringBuilder why = new StringBuilder();
    if (fit.isEmpty()) {
      Row least =
          candidates.stream()
              .min(Comparator.comparingLong(r -> r.estimate().peakTaskBytes()))
              .orElse(null);
      why.append("no plan fits: ");
      if (least != null) {
        why.append(
            String.format(
                Locale.ROOT,
                "the smallest working set (%s, block size %d) is %s per task, a task gets %s; give"
                    + " executors more memory (or fewer cores each) or use smaller blocks",
                least.strategy(),
                least.blockSize(),
                bytes(least.estimate().peakTaskBytes()),
                bytes(taskMemory)));
      }
      return new Choice(kind, window, n, null, why.toString());
    }
    Row best = fit.get(0);
    why.append(
        String.format(
            Locale.ROOT,
            "%s with blocks of %d: the fastest plan that fits, %s predicted (largest task %s of %s)",
            best.strategy(),
            best.blockSize(),
            seconds(best.seconds()),
            bytes(best.estimate().peakTaskBytes()),
            bytes(taskMemory)));
    if (fit.size() > 1) {
      Row next = fit.get(1);
      why.append(
          String.format(
              Locale.ROOT,
              "; next %s with blocks of %d, %s (%.2f× as long)",
              next.strategy(),
              next.blockSize(),
              seconds(next.seconds()),
              next.seconds() / best.seconds()));
    }
    why.append("; largest term ").append(largestTerm(best.terms()));
    if (!tooBig.isEmpty()) {
      why.append("; too big for a task: ");
      List<String> names = new ArrayList<>();
      for (Row r : tooBig) {
        names.add(
            String.format(
                Locale.ROOT,
                "%s/%d (%s)",
                r.strategy(),
                r.blockSize(),
                bytes(r.estimate().peakTaskBytes())));
      }
      why.append(String.join(", ", names));
    }
    return new Choice(kind, window, n, best, why.toString());
  }

  /** The name of the largest of the terms, with its share. */
  static String largestTerm(TimeModel.Terms t) {
    String[] names = {"kernel", "softmax", "shuffle", "per-task fixed", "per-stage fixed"};
    double[] v = {
      t.kernelSeconds(),
      t.softmaxSeconds(),
      t.shuffleSeconds(),
      t.taskFixedSeconds(),
      t.stageFixedSeconds()
    };
    int k = 0;
    for (int i = 1; i < v.length; i++) {
      if (v[i] > v[k]) {
        k = i;
      }
    }
    double total = t.seconds();
    return String.format(
        Locale.ROOT, "%s (%.0f %%)", names[k], total > 0 ? 100 * v[k] / total : 0.0);
  }

  /** Bytes as MiB, GiB or TiB. */
  static String bytes(double b) {
    if (b >= 1L << 40) {
      return String.format(Locale.ROOT, "%.1f TiB", b / (1L << 40));
    }
    if (b >= 1L << 30) {
      return String.format(Locale.ROOT, "%.1f GiB", b / (1L << 30));
    }
    return String.format(Locale.ROOT, "%.1f MiB", b / (1L << 20));
  }

  /** Seconds as s, min, h or days. */
  static String seconds(double s) {
    if (s < 120) {
      return String.format(Locale.ROOT, "%.1f s", s);
    }
    if (s < 7200) {
      return String.format(Locale.ROOT, "%.1f min", s / 60);
    }
    if (s < 172800) {
      return String.format(Locale.ROOT, "%.1f h", s / 3600);
    }
    return String.format(Locale.ROOT, "%.1f days", s / 86400);
  }
}
