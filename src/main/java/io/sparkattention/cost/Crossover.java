package io.sparkattention.cost;

import io.sparkattention.kernel.Mask;
import io.sparkattention.plan.Strategy;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;

/**
 * Where local attention becomes more than {@link #RATIO}× cheaper than global attention in time:
 * the sequence length above which global (blocks) takes more than twice local's (window) time,
 * measured (interpolated between the lengths run, linearly in log n and log ratio) and predicted
 * (the time model's ratio on a grid of lengths, four per doubling).
 */
public final class Crossover {
  /** Local is this many times cheaper than global above the crossover. */
  public static final double RATIO = 2.0;

  /** Lengths the predicted search may reach. */
  static final long MAX_SEARCH = 1L << 24;

  private Crossover() {}

  /**
   * A crossover and the ratio curve it came from.
   *
   * @param what "measured" or "predicted"
   * @param window local attention's window
   * @param length the crossover length, or −1 when the ratio stays below {@link #RATIO} over every
   *     length looked at
   * @param below whether the ratio was already above {@link #RATIO} at the first length (the
   *     crossover is at or below it)
   * @param curve length → global/local time ratio
   */
  public record Result(
      String what, int window, long length, boolean below, Map<Long, Double> curve) {
    /** A sentence for reports. */
    public String describe() {
      if (below) {
        return String.format(
            Locale.ROOT,
            "%s: local (w = %d) is more than %.0f× cheaper than global already at n = %d, the"
                + " shortest length",
            what,
            window,
            RATIO,
            curve.keySet().iterator().next());
      }
      if (length < 0) {
        return String.format(
            Locale.ROOT,
            "%s: local (w = %d) is not %.0f× cheaper than global up to n = %d",
            what,
            window,
            RATIO,
            ((TreeMap<Long, Double>) curve).lastKey());
      }
      return String.format(
          Locale.ROOT,
          "%s: local (w = %d) is more than %.0f× cheaper than global above n ≈ %,d",
          what,
          window,
          RATIO,
          length);
    }
  }

  /** The crossover of length → global/local ratio points ({@code what}: measured or predicted). */
  public static Result of(String what, int window, Map<Long, Double> ratios) {
    TreeMap<Long, Double> curve = new TreeMap<>(ratios);
    Long prevN = null;
    double prevR = Double.NaN;
    for (Map.Entry<Long, Double> e : curve.entrySet()) {
      double r = e.getValue();
      if (r > RATIO) {
        if (prevN == null) {
          return new Result(what, window, e.getKey(), true, curve);
        }
        return new Result(what, window, interpolate(prevN, prevR, e.getKey(), r), false, curve);
      }
      prevN = e.getKey();
      prevR = r;
    }
    return new Result(what, window, -1, false, curve);
  }

  /**
   * The measured crossover of a sweep's rows: {@code global-blocks} against {@code local-window}
   * wall time at each length run with both; null when no length has both.
   */
  public static Result measured(List<CostRow> rows, int window) {
    TreeMap<Long, Double> ratios = new TreeMap<>();
    ReportFiles.byLength(rows)
        .forEach(
            (n, m) -> {
              CostRow g = m.get("global-blocks");
              CostRow l = m.get("local-window");
              if (g != null && l != null && l.wallMillis() > 0) {
                ratios.put(n, g.wallMillis() / (double) l.wallMillis());
              }
            });
    return ratios.isEmpty() ? null : of("measured", window, ratios);
  }

  /** Where log ratio reaches log {@link #RATIO} between (n0, r0) and (n1, r1), in log n. */
  static long interpolate(long n0, double r0, long n1, double r1) {
    if (!(r0 > 0) || !(r1 > r0)) {
      return n1;
    }
    double f = (Math.log(RATIO) - Math.log(r0)) / (Math.log(r1) - Math.log(r0));
    return Math.round(Math.exp(Math.log(n0) + f * (Math.log(n1) - Math.log(n0))));
  }

  /**
   * The model's crossover: global (blocks) against local (window) for one sequence of n tokens, on
   * lengths 2^(k/4) from {@code from} until the ratio passes {@link #RATIO} and then one more
   * doubling (or {@link #MAX_SEARCH}).
   */
  public static Result predict(
      TimeModel model, int window, int blockSize, int heads, int dModel, long from) {
    TreeMap<Long, Double> curve = new TreeMap<>();
    long stopAt = MAX_SEARCH;
    for (int k = 0; ; k++) {
      long n = Math.round(from * Math.pow(2, k / 4.0));
      if (n > stopAt) {
        break;
      }
      if (n <= window) {
        continue; // the window reaches past the sequence: local = global
      }
      double g =
          model.seconds(
              PlanCosts.estimate(n, Mask.none(), Strategy.BLOCKS, blockSize, heads, dModel, false));
      double l =
          model.seconds(
              PlanCosts.estimate(
                  n, Mask.window(window), Strategy.WINDOW, blockSize, heads, dModel, false));
      curve.put(n, g / l);
      if (g / l > RATIO && stopAt == MAX_SEARCH) {
        stopAt = 2 * n;
      }
    }
    return of("predicted", window, curve);
  }
}
