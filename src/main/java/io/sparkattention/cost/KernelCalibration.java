package io.sparkattention.cost;

import io.sparkattention.kernel.AttentionOps;
import io.sparkattention.kernel.AttentionWorkspace;
import io.sparkattention.kernel.Mask;
import io.sparkattention.kernel.PartialAttention;
import java.util.Arrays;
import java.util.Random;
import org.ejml.data.DMatrixRMaj;

/** Measures this machine's block-kernel speed on one thread, for the {@link TimeModel}. */
public final class KernelCalibration {
  /** Warm-up rounds: with fewer than ~8 the first cost report's model ran 20-50 % slow. */
  static final int WARMUP = 10;

  private KernelCalibration() {}

  /**
   * The kernel's two rates on one thread: products (q·k and p·v, 4·d FLOPs per query-key pair) and
   * softmax work (one exp and the running-max bookkeeping per query-key pair), separated by timing
   * the same block update at head widths d and 2d. Per pair the update takes {@code τ(d) = 4d/g +
   * 1/e}; two widths give {@code g = 4d / (τ(2d) − τ(d))} and {@code 1/e = τ(d) − 4d/g}, so that at
   * width d the two terms add up to the measured time exactly. When noise makes {@code τ(2d) ≤
   * τ(d)} or {@code 1/e} negative, all of τ(d) goes to the products (e infinite).
   *
   * @param flopsPerSecond g: product FLOP/s on one core
   * @param scoresPerSecond e: query-key scores per second through the softmax on one core (may be
   *     infinite when the split failed)
   */
  public record Rates(double flopsPerSecond, double scoresPerSecond) {
    /** Seconds for {@code flops} product FLOPs and {@code scores} softmax entries on one core. */
    public double seconds(double flops, double scores) {
      return flops / flopsPerSecond + scores / scoresPerSecond;
    }
  }

  /**
   * Measures {@link Rates} at block size {@code blockSize} and head width {@code dHead}: medians of
   * {@code repeats} block updates at widths dHead and 2·dHead (a few seconds at blocks of 1,024).
   */
  public static Rates rates(int blockSize, int dHead, int repeats) {
    // seconds per query-key pair: the update's FLOPs per pair over its FLOP rate
    double tau1 = 4.0 * dHead / flopsPerSecond(blockSize, dHead, repeats);
    double tau2 = 4.0 * 2 * dHead / flopsPerSecond(blockSize, 2 * dHead, repeats);
    return split(dHead, tau1, tau2);
  }

  /** The split of {@link #rates} from the per-pair seconds at widths d and 2d. */
  static Rates split(int dHead, double tau1, double tau2) {
    if (tau2 > tau1) {
      double g = 4.0 * dHead / (tau2 - tau1);
      double exp = tau1 - 4.0 * dHead / g;
      if (exp > 0) {
        return new Rates(g, 1 / exp);
      }
    }
    return new Rates(4.0 * dHead / tau1, Double.POSITIVE_INFINITY);
  }

  /**
   * Median FLOP/s of {@code repeats} online-softmax block updates of {@code blockSize} queries by
   * {@code blockSize} keys of width {@code d} (4·B²·d FLOPs each), after warm-up rounds (the JIT
   * compiles the kernel's loops in the first few).
   */
  public static double flopsPerSecond(int blockSize, int d, int repeats) {
    Random rnd = new Random(1);
    DMatrixRMaj Q = random(blockSize, d, rnd);
    DMatrixRMaj K = random(blockSize, d, rnd);
    DMatrixRMaj V = random(blockSize, d, rnd);
    AttentionWorkspace ws = new AttentionWorkspace();
    PartialAttention state = PartialAttention.empty(blockSize, d);
    double[] seconds = new double[repeats];
    for (int r = -WARMUP; r < repeats; r++) {
      long t0 = System.nanoTime();
      AttentionOps.accumulate(state, Q, 0, K, V, 0, Mask.none(), ws);
      long t1 = System.nanoTime();
      if (r >= 0) {
        seconds[r] = (t1 - t0) / 1e9;
      }
    }
    Arrays.sort(seconds);
    return 4.0 * blockSize * blockSize * d / seconds[repeats / 2];
  }

  private static DMatrixRMaj random(int r, int c, Random rnd) {
    DMatrixRMaj M = new DMatrixRMaj(r, c);
    for (int i = 0; i < M.data.length; i++) {
      M.data[i] = rnd.nextGaussian();
    }
    return M;
  }
}
