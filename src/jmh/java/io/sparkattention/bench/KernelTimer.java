package io.sparkattention.bench;

import io.sparkattention.kernel.AttentionOps;
import io.sparkattention.kernel.AttentionWorkspace;
import io.sparkattention.kernel.Mask;
import io.sparkattention.kernel.MatrixEngine;
import io.sparkattention.kernel.PartialAttention;
import io.sparkattention.kernel.Precision;
import java.util.Arrays;
import java.util.Random;
import org.ejml.data.DMatrixRMaj;
import org.ejml.dense.row.CommonOps_DDRM;

/**
 * Times the kernel for bench/compare_numpy.py: prints one line per (variant, n) with the median
 * seconds and GFLOP/s (4·n²·d) of the full and the blocked kernel on one thread, the blocked kernel
 * in fp64 and in fp32 ({@code blocked-fp32}), and the error of fp32 against fp64 at that n ({@code
 * error-fp32}: the largest absolute difference, it over the largest |output|, and the largest
 * elementwise relative difference).
 *
 * <p>Usage: {@code KernelTimer [repeats] [n …]} (defaults: 7 repeats, n = 1024 4096; d = 64), or
 * {@code KernelTimer error n …}: only the fp32 error, the blocked kernel run once in each precision
 * (Q, K, V independent N(0, 1) entries).
 */
public final class KernelTimer {
  static final int D = 64;
  static final int BLOCK = 1024;

  private KernelTimer() {}

  public static void main(String[] args) {
    int repeats = args.length > 0 && !args[0].equals("error") ? Integer.parseInt(args[0]) : 7;
    int[] lengths =
        args.length > 1
            ? Arrays.stream(args, 1, args.length).mapToInt(Integer::parseInt).toArray()
            : new int[] {1024, 4096};
    System.out.println("engine " + MatrixEngine.defaultEngine().name());
    if (args.length > 0 && args[0].equals("error")) {
      for (int n : lengths) {
        DMatrixRMaj[][] qkv = {
          blocks(random(n, D, 1), BLOCK), blocks(random(n, D, 2), BLOCK), blocks(random(n, D, 3), BLOCK)
        };
        printError(n, qkv);
      }
      return;
    }
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
      DMatrixRMaj[][] qkv = {qb, kb, vb};
      AttentionWorkspace ws32 = new AttentionWorkspace(Precision.FP32);
      double blocked32 = median(repeats, () -> blockedOutput(qkv, ws32));
      double flops = 4.0 * n * n * D;
      System.out.printf("full n=%d seconds=%.5f gflops=%.2f%n", n, full, flops / full / 1e9);
      System.out.printf("blocked n=%d seconds=%.5f gflops=%.2f%n", n, blocked, flops / blocked / 1e9);
      System.out.printf(
          "blocked-fp32 n=%d seconds=%.5f gflops=%.2f speedup=%.3f%n",
          n, blocked32, flops / blocked32 / 1e9, blocked / blocked32);
      printError(n, qkv);
    }
  }

  /** The blocked kernel's output over query, key and value blocks {@code qkv}, global attention. */
  static double[] blockedOutput(DMatrixRMaj[][] qkv, AttentionWorkspace ws) {
    DMatrixRMaj[] qb = qkv[0];
    DMatrixRMaj[] kb = qkv[1];
    DMatrixRMaj[] vb = qkv[2];
    int n = 0;
    for (DMatrixRMaj b : qb) {
      n += b.numRows;
    }
    DMatrixRMaj out = new DMatrixRMaj(n, D);
    for (int b = 0; b < qb.length; b++) {
      PartialAttention s = PartialAttention.empty(qb[b].numRows, D);
      for (int k = 0; k < kb.length; k++) {
        AttentionOps.accumulate(s, qb[b], (long) b * BLOCK, kb[k], vb[k], (long) k * BLOCK, Mask.none(), ws);
      }
      s.output(out, b * BLOCK);
    }
    return out.data;
  }

  /** One line: fp32's error against fp64 on these blocks. */
  static void printError(int n, DMatrixRMaj[][] qkv) {
    double[] o64 = blockedOutput(qkv, new AttentionWorkspace(Precision.FP64));
    double[] o32 = blockedOutput(qkv, new AttentionWorkspace(Precision.FP32));
    double maxAbs = 0;
    double maxOut = 0;
    double maxRel = 0;
    for (int i = 0; i < o64.length; i++) {
      double diff = Math.abs(o32[i] - o64[i]);
      maxAbs = Math.max(maxAbs, diff);
      maxOut = Math.max(maxOut, Math.abs(o64[i]));
      maxRel = Math.max(maxRel, diff / Math.abs(o64[i]));
    }
    System.out.printf(
        "error-fp32 n=%d maxabs=%.3e maxabs_over_maxout=%.3e max_elementwise_rel=%.3e%n",
        n, maxAbs, maxAbs / maxOut, maxRel);
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
