package io.sparkattention.kernel.impl;

/**
 * The element-wise part of a softmax row, the part of the block kernel the matrix engine does not
 * cover: scale the scores and find their maximum, then replace them by {@code exp(s - max)} and sum
 * them. One scalar {@code Math.exp} per score costs more than both block products together on
 * native BLAS (about 4.7 ns per score against 1.1 ns vectorised, measured on this project's 2-core
 * AMD EPYC machines), so where the JDK's Vector API is available its vectorised {@code exp} is
 * used.
 *
 * <p>Implementations differ only in summation order (last bits), never by more than the {@code
 * 1e-9} the kernels promise; one JVM always uses the same one, so results stay bit-identical across
 * splits, partitions and retries within a run.
 */
public abstract class SoftmaxRows {
  /** System property: {@code scalar} or {@code vector} forces an implementation. */
  public static final String PROPERTY = "sparkattention.softmax";

  /** Short name: {@code scalar} or {@code vector(species)}. */
  public abstract String name();

  /**
   * {@code s[j] *= scale} for {@code from <= j < to}; returns {@code max_j s[j]} after scaling
   * ({@code -∞} for an empty range).
   */
  public abstract double scaleAndMax(double[] s, int from, int to, double scale);

  /**
   * {@code s[j] = exp(s[j] - shift)} for {@code from <= j < to}; returns {@code Σ_j s[j]} after the
   * update.
   */
  public abstract double expAndSum(double[] s, int from, int to, double shift);

  /** The implementation this JVM uses (chosen once, see {@link #PROPERTY}). */
  public static SoftmaxRows get() {
    return Holder.INSTANCE;
  }

  /** The plain-loop implementation, always available. */
  public static SoftmaxRows scalar() {
    return ScalarSoftmaxRows.INSTANCE;
  }

  /**
   * The Vector API implementation, or null when the JVM was started without {@code --add-modules
   * jdk.incubator.vector}.
   */
  public static SoftmaxRows vectorOrNull() {
    if (ModuleLayer.boot().findModule("jdk.incubator.vector").isEmpty()) {
      return null;
    }
    try {
      return new VectorSoftmaxRows();
    } catch (LinkageError e) {
      return null;
    }
  }

  /** Chooses once per JVM. */
  private static final class Holder {
    static final SoftmaxRows INSTANCE = choose();

    private static SoftmaxRows choose() {
      String asked = System.getProperty(PROPERTY, "auto");
      SoftmaxRows rows;
      switch (asked) {
        case "scalar":
          rows = scalar();
          break;
        case "vector":
          rows = vectorOrNull();
          if (rows == null) {
            throw new IllegalStateException(
                "-D" + PROPERTY + "=vector needs the JVM flag --add-modules=jdk.incubator.vector");
          }
          break;
        case "auto":
          SoftmaxRows vector = vectorOrNull();
          rows = vector == null ? scalar() : vector;
          break;
        default:
          throw new IllegalArgumentException(
              "unknown -D" + PROPERTY + "=" + asked + " (known: auto, scalar, vector)");
      }
      System.getLogger(SoftmaxRows.class.getName())
          .log(System.Logger.Level.INFO, "softmax rows: " + rows.name());
      return rows;
    }

    private Holder() {}
  }
}
