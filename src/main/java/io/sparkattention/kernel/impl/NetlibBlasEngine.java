package io.sparkattention.kernel.impl;

import dev.ludovic.netlib.blas.BLAS;
import dev.ludovic.netlib.blas.JavaBLAS;
import io.sparkattention.kernel.MatrixEngine;
import org.ejml.data.DMatrixRMaj;
import org.ejml.data.FMatrixRMaj;

/**
 * {@link MatrixEngine} on netlib's BLAS ({@code dev.ludovic.netlib}, as Spark MLlib uses): native
 * OpenBLAS through JNI when the machine has it, else the Vector API or plain Java loops. BLAS is
 * column-major: a row-major m×n matrix is the column-major n×m transpose, so {@code C = A·B} is
 * computed as {@code Cᵀ = Bᵀ·Aᵀ} on the same arrays.
 */
public final class NetlibBlasEngine implements MatrixEngine {
  /** {@link #name()} of the engine on the best implementation that loads. */
  public static final String BEST = "blas";

  /** {@link #name()} of the engine on netlib's pure-Java implementations only (never native). */
  public static final String PURE_JAVA = "blas-java";

  private final BLAS blas;
  private final String name;

  /** Uses the best implementation netlib can load ({@link BLAS#getInstance()}). */
  public NetlibBlasEngine() {
    this(BLAS.getInstance(), BEST);
  }

  private NetlibBlasEngine(BLAS blas, String name) {
    this.blas = blas;
    this.name = name;
  }

  /**
   * Netlib's pure-Java BLAS even where native OpenBLAS loads ({@link JavaBLAS#getInstance()}: the
   * Vector API implementation when the module {@code jdk.incubator.vector} is present, else plain
   * loops).
   */
  public static NetlibBlasEngine pureJava() {
    return new NetlibBlasEngine(JavaBLAS.getInstance(), PURE_JAVA);
  }

  @Override
  public String name() {
    return name;
  }

  /** The netlib implementation in use (e.g. JNIBLAS, VectorBLAS, Java11BLAS). */
  public String implementation() {
    return blas.getClass().getSimpleName();
  }

  @Override
  public void mult(DMatrixRMaj A, DMatrixRMaj B, DMatrixRMaj C) {
    gemm(A, B, false, C, 0.0);
  }

  @Override
  public void multTransB(DMatrixRMaj A, DMatrixRMaj B, DMatrixRMaj C) {
    gemm(A, B, true, C, 0.0);
  }

  @Override
  public void multAdd(DMatrixRMaj A, DMatrixRMaj B, DMatrixRMaj C) {
    gemm(A, B, false, C, 1.0);
  }

  @Override
  public void mult(FMatrixRMaj A, FMatrixRMaj B, FMatrixRMaj C) {
    sgemm(A, B, false, C);
  }

  @Override
  public void multTransB(FMatrixRMaj A, FMatrixRMaj B, FMatrixRMaj C) {
    sgemm(A, B, true, C);
  }

  /** {@code C = A·op(B)} in single precision, op(B) = B or Bᵀ, all row-major. */
  private void sgemm(FMatrixRMaj A, FMatrixRMaj B, boolean transB, FMatrixRMaj C) {
    final int m = A.numRows;
    final int k = A.numCols;
    final int n = transB ? B.numRows : B.numCols;
    requireInner(m, k, transB ? B.numCols : B.numRows, n, transB);
    C.reshape(m, n);
    if (m == 0 || n == 0) {
      return;
    }
    if (k == 0) {
      java.util.Arrays.fill(C.data, 0, m * n, 0f);
      return;
    }
    // Column-major view, as in gemm: Cᵀ (n×m) = op(B)ᵀ (n×k) · Aᵀ (k×m).
    blas.sgemm(
        transB ? "T" : "N", "N", n, m, k, 1f, B.data, transB ? k : n, A.data, k, 0f, C.data, n);
  }

  private static void requireInner(int m, int k, int bInner, int n, boolean transB) {
    if (bInner != k) {
      throw new IllegalArgumentException(
          "A is " + m + "×" + k + " but B" + (transB ? "ᵀ" : "") + " is " + bInner + "×" + n);
    }
  }

  /** {@code C = A·op(B) + beta·C}, op(B) = B or Bᵀ, all row-major. */
  private void gemm(DMatrixRMaj A, DMatrixRMaj B, boolean transB, DMatrixRMaj C, double beta) {
    final int m = A.numRows;
    final int k = A.numCols;
    final int n = transB ? B.numRows : B.numCols;
    requireInner(m, k, transB ? B.numCols : B.numRows, n, transB);
    if (beta == 0.0) {
      C.reshape(m, n);
    } else if (C.numRows != m || C.numCols != n) {
      throw new IllegalArgumentException(
          "C is " + C.numRows + "×" + C.numCols + " but A·B is " + m + "×" + n);
    }
    if (m == 0 || n == 0) {
      return;
    }
    if (k == 0) {
      if (beta == 0.0) {
        java.util.Arrays.fill(C.data, 0, m * n, 0.0);
      }
      return;
    }
    // Column-major view: Cᵀ (n×m) = op(B)ᵀ (n×k) · Aᵀ (k×m).
    blas.dgemm(
        transB ? "T" : "N", "N", n, m, k, 1.0, B.data, transB ? k : n, A.data, k, beta, C.data, n);
  }
}
