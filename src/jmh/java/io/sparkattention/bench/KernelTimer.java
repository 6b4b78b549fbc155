package io.sparkattention.bench;

import io.sparkattention.kernel.AttentionOps;
import io.sparkattention.kernel.AttentionWorkspace;
import io.sparkattention.kernel.Mask;
import io.sparkattention.kernel.MatrixEngine;
import io.sparkattention.kernel.PartialAttention;
import java.util.Arrays;
import java.util.Random;
import org.ejml.data.DMatrixRMaj;
import org.ejml.dense.row.CommonOps_DDRM;

/**
 * Times the kernel for bench/compare_numpy.py: prints one line per (variant, n) with the median
 * seconds and GFLOP/s (4·n²·d) of the full and the blocked kernel on one thread.
 *
 * <p>Usage: {@code KernelTimer [repeats] [n …]} (defaults: 7 repeats, n = 1024 4096; d = 64).
 */
public final class KernelTimer {
  static final int D = 64;
  static final int BLOCK = 1024;

  private KernelTimer() {}

  public static void main(String[] args) {
    int repeats = args.length > 0 ? Integer.parseInt(args[0]) : 7;
    int[] lengths =
        args.length > 1
            ? Arrays.stream(args, 1, args.length).mapToInt(Integer::parseInt).toArray()
            : new int[] {1024, 4096};
    System.out.println("engine " + MatrixEngine.defaultEngine().name());
    for (int n : lengths) {
      DMatrixRMaj Q = random(n, D, 1);
      DMatrixRMaj K = random(n, D, 2);
      DMatrixRMaj V = random(n, D, 3);
      double full = median(repeats, () -> AttentionOps.attention(Q, K, V));
      DMatrixRMaj[] qb = blocks(Q, BLOCK);
      DMatrixRMaj[] kb = blocks(K, BLOCK);
      DMatrixRMaj[] vb = blocks(V, BLOCK);
      AttentionWorkspace ws = new AttentionWorkspace();
      double blocked =
          median(
              repeats,
              () -> {
                for (int b = 0; b < qb.length; b++) {
                  PartialAttention s = PartialAttention.empty(qb[b].numRows, D);
                  for (int k = 0; k < kb.length; k++) {
                    AttentionOps.accumulate(s, qb[b], (long) b * BLOCK, kb[k], vb[k], (long) k * BLOCK, Mask.none(), ws);
                  }
                  s.output();
                }
              });
      double flops = 4.0 * n * n * D;
      System.out.printf("full n=%d seconds=%.5f gflops=%.2f%n", n, full, flops / full / 1e9);
      System.out.printf("blocked n=%d seconds=%.5f gflops=%.2f%n", n, blocked, flops / blocked / 1e9);
    }
  }

  static double median(int repeats, Runnable r) {
    for (int i = 0; i < 3; i++) {
      r.run(); // warm-up: let the JIT compile the kernel loops
    }
    double[] t = new double[repeats];
    for (int i = 0; i < repeats; i++) {
      long t0 = System.nanoTime();
      r.run();
      t[i] = (System.nanoTime() - t0) / 1e9;
    }
    Arrays.sort(t);
    return t[repeats / 2];
  }

  static DMatrixRMaj random(int rows, int cols, long seed) {
    Random rnd = new Random(seed);
    DMatrixRMaj M = new DMatrixRMaj(rows, cols);
    for (int i = 0; i < M.data.length; i++) {
      M.data[i] = rnd.nextGaussian();
    }
    return M;
  }

  static DMatrixRMaj[] blocks(DMatrixRMaj M, int rows) {
    int count = (M.numRows + rows - 1) / rows;
    DMatrixRMaj[] out = new DMatrixRMaj[count];
    for (int b = 0; b < count; b++) {
      out[b] = CommonOps_DDRM.extract(M, b * rows, Math.min(M.numRows, (b + 1) * rows), 0, M.numCols);
    }
    return out;
  }
}
