package io.sparkattention.kernel;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Random;
import org.ejml.data.DMatrixRMaj;
import org.ejml.data.FMatrixRMaj;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** Every engine's three products against plain loops, over many shapes including zero sizes. */
class MatrixEngineTest {
  private static final int[] SIZES = {0, 1, 2, 3, 7, 16, 33, 64, 100};

  @ParameterizedTest
  @ValueSource(strings = {"ejml", "blas", "blas-java"})
  void productsMatchPlainLoops(String name) {
    MatrixEngine engine = MatrixEngine.named(name);
    assertEquals(name, engine.name());
    Random rnd = new Random(7);
    for (int m : SIZES) {
      for (int k : SIZES) {
        for (int n : new int[] {0, 1, 5, 64}) {
          DMatrixRMaj A = random(m, k, rnd);
          DMatrixRMaj B = random(k, n, rnd);
          DMatrixRMaj Bt = transpose(B);
          DMatrixRMaj C = new DMatrixRMaj(m, n);
          engine.mult(A, B, C);
          assertClose(naive(A, B), C, name + " mult " + m + "×" + k + "·" + k + "×" + n);
          DMatrixRMaj C2 = new DMatrixRMaj(1, 1);
          engine.multTransB(A, Bt, C2);
          assertClose(naive(A, B), C2, name + " multTransB " + m + "×" + k + "·" + n + "×" + k);
          DMatrixRMaj C3 = random(m, n, rnd);
          DMatrixRMaj expected = naive(A, B);
          for (int i = 0; i < expected.data.length; i++) {
            expected.data[i] += C3.data[i];
          }
          engine.multAdd(A, B, C3);
          assertClose(expected, C3, name + " multAdd " + m + "×" + k + "·" + k + "×" + n);
        }
      }
    }
  }

  /**
   * The single-precision products against plain double loops over the same float inputs: each
   * element within {@code γ_k · Σ_l |a_il b_lj|} (u = 2⁻²⁴), the float dot product's bound.
   */
  @ParameterizedTest
  @ValueSource(strings = {"ejml", "blas", "blas-java"})
  void floatProductsMatchPlainLoops(String name) {
    MatrixEngine engine = MatrixEngine.named(name);
    Random rnd = new Random(8);
    for (int m : SIZES) {
      for (int k : SIZES) {
        for (int n : new int[] {0, 1, 5, 64}) {
          FMatrixRMaj A = randomFloat(m, k, rnd);
          FMatrixRMaj B = randomFloat(k, n, rnd);
          FMatrixRMaj Bt = new FMatrixRMaj(n, k);
          for (int i = 0; i < k; i++) {
            for (int j = 0; j < n; j++) {
              Bt.data[j * k + i] = B.data[i * n + j];
            }
          }
          FMatrixRMaj C = new FMatrixRMaj(1, 1);
          engine.mult(A, B, C);
          assertFloatClose(A, B, C, name + " float mult " + m + "×" + k + "·" + k + "×" + n);
          FMatrixRMaj C2 = new FMatrixRMaj(m + 1, 2);
          engine.multTransB(A, Bt, C2);
          assertFloatClose(A, B, C2, name + " float multTransB " + m + "×" + k + "·" + n + "×" + k);
        }
      }
    }
  }

  private static FMatrixRMaj randomFloat(int r, int c, Random rnd) {
    FMatrixRMaj M = new FMatrixRMaj(r, c);
    for (int i = 0; i < r * c; i++) {
      M.data[i] = (float) rnd.nextGaussian();
    }
    return M;
  }

  private static void assertFloatClose(FMatrixRMaj A, FMatrixRMaj B, FMatrixRMaj C, String what) {
    int m = A.numRows;
    int k = A.numCols;
    int n = B.numCols;
    assertEquals(m, C.numRows, what + ": rows");
    assertEquals(n, C.numCols, what + ": columns");
    double gamma = k * 0x1p-24 / (1 - k * 0x1p-24);
    for (int i = 0; i < m; i++) {
      for (int j = 0; j < n; j++) {
        double s = 0;
        double abs = 0;
        for (int l = 0; l < k; l++) {
          double p = (double) A.data[i * k + l] * B.data[l * n + j];
          s += p;
          abs += Math.abs(p);
        }
        double got = C.data[i * n + j];
        assertTrue(
            Math.abs(got - s) <= gamma * abs + 1e-12,
            what + " at (" + i + ", " + j + "): " + got + " vs " + s);
      }
    }
  }

  @ParameterizedTest
  @ValueSource(strings = {"ejml", "blas", "blas-java"})
  void attentionAgreesAcrossEngines(String name) {
    // The facade runs on the default engine; here the engine under test computes Q·Kᵀ and the
    // result feeds the same softmax, checked against plain loops.
    MatrixEngine engine = MatrixEngine.named(name);
    Random rnd = new Random(11);
    DMatrixRMaj Q = random(37, 8, rnd);
    DMatrixRMaj K = random(53, 8, rnd);
    DMatrixRMaj S = new DMatrixRMaj(1, 1);
    engine.multTransB(Q, K, S);
    assertClose(naive(Q, transpose(K)), S, name + " scores");
  }

  @org.junit.jupiter.api.Test
  void pureJavaBlasIsNeverNative() {
    String implementation =
        ((io.sparkattention.kernel.impl.NetlibBlasEngine) MatrixEngine.named("blas-java"))
            .implementation();
    assertTrue(
        implementation.equals("VectorBLAS") || implementation.equals("Java11BLAS"), implementation);
  }

  @org.junit.jupiter.api.Test
  void unknownEngineIsNamed() {
    IllegalArgumentException e =
        assertThrows(IllegalArgumentException.class, () -> MatrixEngine.named("cuda"));
    assertTrue(e.getMessage().contains("cuda") && e.getMessage().contains("ejml"), e.getMessage());
  }

  private static DMatrixRMaj random(int r, int c, Random rnd) {
    DMatrixRMaj M = new DMatrixRMaj(r, c);
    for (int i = 0; i < r * c; i++) {
      M.data[i] = rnd.nextGaussian();
    }
    return M;
  }

  private static DMatrixRMaj transpose(DMatrixRMaj M) {
    DMatrixRMaj T = new DMatrixRMaj(M.numCols, M.numRows);
    for (int i = 0; i < M.numRows; i++) {
      for (int j = 0; j < M.numCols; j++) {
        T.data[j * M.numRows + i] = M.data[i * M.numCols + j];
      }
    }
    return T;
  }

  private static DMatrixRMaj naive(DMatrixRMaj A, DMatrixRMaj B) {
    DMatrixRMaj C = new DMatrixRMaj(A.numRows, B.numCols);
    for (int i = 0; i < A.numRows; i++) {
      for (int j = 0; j < B.numCols; j++) {
        double s = 0;
        for (int k = 0; k < A.numCols; k++) {
          s += A.data[i * A.numCols + k] * B.data[k * B.numCols + j];
        }
        C.data[i * B.numCols + j] = s;
      }
    }
    return C;
  }

  private static void assertClose(DMatrixRMaj expected, DMatrixRMaj actual, String what) {
    assertEquals(expected.numRows, actual.numRows, what + ": rows");
    assertEquals(expected.numCols, actual.numCols, what + ": columns");
    for (int i = 0; i < expected.numRows * expected.numCols; i++) {
      double e = expected.data[i];
      assertTrue(
          Math.abs(actual.data[i] - e) <= 1e-12 * Math.max(1, Math.abs(e)) * 100,
          what + " at " + i + ": " + actual.data[i] + " vs " + e);
    }
  }
}
