package io.sparkattention.kernel;

import io.sparkattention.kernel.impl.EjmlEngine;
import org.ejml.data.DMatrixRMaj;

/**
 * The one place every matrix product of the kernels goes through, so that a faster engine (native
 * BLAS, say) can replace EJML without touching the attention logic. Implementations are
 * single-threaded: Spark already owns the cores.
 *
 * <p>All matrices are row-major {@link DMatrixRMaj}; outputs must already have the right shape and
 * must not alias an input.
 */
public interface MatrixEngine {

  /** Short name, as accepted by {@link #named(String)}. */
  String name();

  /** {@code C = A · B}; A is m×k, B is k×n, C is m×n (overwritten). */
  void mult(DMatrixRMaj A, DMatrixRMaj B, DMatrixRMaj C);

  /** {@code C = A · Bᵀ}; A is m×k, B is n×k, C is m×n (overwritten). */
  void multTransB(DMatrixRMaj A, DMatrixRMaj B, DMatrixRMaj C);

  /** {@code C += A · B}; A is m×k, B is k×n, C is m×n (accumulated into). */
  void multAdd(DMatrixRMaj A, DMatrixRMaj B, DMatrixRMaj C);

  /** EJML's {@code CommonOps_DDRM}: always available. */
  static MatrixEngine ejml() {
    return EjmlEngine.INSTANCE;
  }

  /**
   * The engine with the given name.
   *
   * @throws IllegalArgumentException naming the engine and the known ones if it is unknown
   */
  static MatrixEngine named(String name) {
    if ("ejml".equalsIgnoreCase(name)) {
      return ejml();
    }
    throw new IllegalArgumentException("unknown matrix engine '" + name + "' (known: ejml)");
  }

  /**
   * The engine the kernels use when none is given: the system property {@code
   * sparkattention.engine} if set, else EJML.
   */
  static MatrixEngine defaultEngine() {
    return DefaultEngineHolder.ENGINE;
  }

  /** Lazily reads the system property once per JVM. */
  final class DefaultEngineHolder {
    static final MatrixEngine ENGINE = named(System.getProperty("sparkattention.engine", "ejml"));

    private DefaultEngineHolder() {}
  }
}
