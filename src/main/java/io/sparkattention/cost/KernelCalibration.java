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
