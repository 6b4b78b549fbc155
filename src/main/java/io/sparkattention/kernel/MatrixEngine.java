package io.sparkattention.kernel;

import io.sparkattention.kernel.impl.EjmlEngine;
import io.sparkattention.kernel.impl.NetlibBlasEngine;
import org.ejml.data.DMatrixRMaj;
import org.ejml.data.FMatrixRMaj;

/**
 * The one place every matrix product of the kernels goes through, so that a faster engine (native
 * BLAS, say) can replace EJML without touching the attention logic. Implementations are
 * single-threaded: Spark already owns the cores.
 *
 * <p>All matrices are row-major ({@link DMatrixRMaj}, or {@link FMatrixRMaj} for the
 * single-precision products of {@link Precision#FP32}); outputs must not alias an input; {@code C}
 * of {@code mult} and {@code multTransB} is reshaped, that of {@code multAdd} must already have the
 * right shape.
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

  /** {@code C = A · B} in single precision; A is m×k, B is k×n, C is m×n (overwritten). */
  void mult(FMatrixRMaj A, FMatrixRMaj B, FMatrixRMaj C);

  /** {@code C = A · Bᵀ} in single precision; A is m×k, B is n×k, C is m×n (overwritten). */
  void multTransB(FMatrixRMaj A, FMatrixRMaj B, FMatrixRMaj C);

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
    boolean best = NetlibBlasEngine.BEST.equalsIgnoreCase(name);
    if (best || NetlibBlasEngine.PURE_JAVA.equalsIgnoreCase(name)) {
      try {
        return best ? new NetlibBlasEngine() : NetlibBlasEngine.pureJava();
      } catch (LinkageError e) {
        throw new IllegalArgumentException(
            "matrix engine '" + name + "' needs dev.ludovic.netlib:blas on the classpath: " + e);
      }
    }
    throw new IllegalArgumentException(
        "unknown matrix engine '" + name + "' (known: ejml, blas, blas-java)");
  }

  /**
   * The engine the kernels use: the system property {@code sparkattention.engine} ({@code ejml},
   * {@code blas} or {@code blas-java}: netlib's pure-Java BLAS, never native) if set, else netlib
   * BLAS when it loads, else EJML. Chosen once per JVM.
   */
  static MatrixEngine defaultEngine() {
    return DefaultEngineHolder.ENGINE;
  }

  /** Lazily reads the system property once per JVM. */
  final class DefaultEngineHolder {
    static final MatrixEngine ENGINE = choose();

    private static MatrixEngine choose() {
      String asked = System.getProperty("sparkattention.engine");
      MatrixEngine engine;
      if (asked != null) {
        engine = named(asked);
      } else {
        try {
          engine = named("blas");
        } catch (IllegalArgumentException e) {
          engine = ejml();
        }
      }
      System.getLogger(MatrixEngine.class.getName())
          .log(
              System.Logger.Level.INFO,
              "matrix engine: "
                  + engine.name()
                  + (engine instanceof NetlibBlasEngine
                      ? " (" + ((NetlibBlasEngine) engine).implementation() + ")"
                      : ""));
      return engine;
    }

    private DefaultEngineHolder() {}
  }
}
