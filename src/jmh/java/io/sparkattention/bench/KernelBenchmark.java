package io.sparkattention.bench;

import io.sparkattention.kernel.AttentionOps;
import io.sparkattention.kernel.AttentionWorkspace;
import io.sparkattention.kernel.Mask;
import io.sparkattention.kernel.MatrixEngine;
import io.sparkattention.kernel.PartialAttention;
import java.util.concurrent.TimeUnit;
import org.ejml.data.DMatrixRMaj;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.infra.Blackhole;

/**
 * JMH benchmarks of the kernel on one thread, fp64, d = 64: the full kernel, the blocked
 * (online-softmax) kernel over 1024-row blocks, and the bare block products. The engine is fixed
 * per fork with {@code -jvmArgsAppend -Dsparkattention.engine=ejml|blas} (see jobs/bench-kernel).
 * GFLOP/s = 4·n²·d / time for attention, 2·B²·d for one product.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.SampleTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Fork(value = 1, jvmArgsAppend = {"-Xmx2g"})
public class KernelBenchmark {
  @Param({"1024", "4096"})
  int n;

  static final int D = 64;
  static final int BLOCK = 1024;

  DMatrixRMaj Q;
  DMatrixRMaj K;
  DMatrixRMaj V;
  DMatrixRMaj[] qBlocks;
  DMatrixRMaj[] kBlocks;
  DMatrixRMaj[] vBlocks;
  AttentionWorkspace ws;
  DMatrixRMaj S;

  @Setup(Level.Trial)
  public void setUp() {
    Q = KernelTimer.random(n, D, 1);
    K = KernelTimer.random(n, D, 2);
    V = KernelTimer.random(n, D, 3);
    qBlocks = KernelTimer.blocks(Q, BLOCK);
    kBlocks = KernelTimer.blocks(K, BLOCK);
    vBlocks = KernelTimer.blocks(V, BLOCK);
    ws = new AttentionWorkspace();
    S = new DMatrixRMaj(BLOCK, BLOCK);
  }

  /** {@code softmax(Q·Kᵀ/√d)·V} over the whole sequence in one call. */
  @Benchmark
  public DMatrixRMaj fullKernel() {
    return AttentionOps.attention(Q, K, V);
  }

  /** The same, as query blocks × key blocks folded by the online-softmax update. */
  @Benchmark
  public void blockedKernel(Blackhole bh) {
    for (int b = 0; b < qBlocks.length; b++) {
      PartialAttention state = PartialAttention.empty(qBlocks[b].numRows, D);
      for (int k = 0; k < kBlocks.length; k++) {
        AttentionOps.accumulate(state, qBlocks[b], (long) b * BLOCK, kBlocks[k], vBlocks[k], (long) k * BLOCK, Mask.none(), ws);
      }
      bh.consume(state.output());
    }
  }

  /** One score block {@code S = Q_b·K_bᵀ} (1024×64 · 64×1024). */
  @Benchmark
  public DMatrixRMaj productQKt() {
    MatrixEngine.defaultEngine().multTransB(qBlocks[0], kBlocks[0], S);
    return S;
  }

  /** One value block {@code A += P·V_b} (1024×1024 · 1024×64). */
  @Benchmark
  public DMatrixRMaj productPV() {
    DMatrixRMaj acc = new DMatrixRMaj(BLOCK, D);
    MatrixEngine.defaultEngine().multAdd(S, vBlocks[0], acc);
    return acc;
  }
}
