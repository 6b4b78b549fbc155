package io.sparkattention.spark;

import io.sparkattention.kernel.AttentionWeights;
import java.util.Random;
import java.util.StringJoiner;
import org.ejml.data.DMatrixRMaj;

/**
 * A plain reference for the attention job's local-p and attention maps, written from the formulas
 * in loops over {@code double[][]}, sharing no code with the library: projections, Luong local-p
 * centres {@code p_t = n·sigmoid(v_p·tanh(h_t·W_p))} of the projected query {@code h_t}, the window
 * {@code |s − p_t| <= D} over the keys that exist, the softmax over the window, the Gaussian {@code
 * exp(−(s − p_t)²/(2(D/2)²))}, heads, and the output projection; and the softmax weights of every
 * mask.
 */
public final class LocalPReference {
  private LocalPReference() {}

  /** Weights by hand; any part may be null (identity / zero; no local-p without wp and vp). */
  public static final class Weights {
    public double[][] wq;
    public double[] bq;
    public double[][] wk;
    public double[] bk;
    public double[][] wv;
    public double[] bv;
    public double[][] wo;
    public double[] bo;
    public double[][] wp;
    public double[] vp;

    /** Random projections d → d and a predictor d → a, entries N(0, scale²), vp N(0, vpScale²). */
    public static Weights random(Random rnd, int d, int a, double scale, double vpScale) {
      Weights w = new Weights();
      w.wq = gaussian(rnd, d, d, scale);
      w.bq = gaussian(rnd, 1, d, scale)[0];
      w.wk = gaussian(rnd, d, d, scale);
      w.bk = gaussian(rnd, 1, d, scale)[0];
      w.wv = gaussian(rnd, d, d, scale);
      w.bv = gaussian(rnd, 1, d, scale)[0];
      w.wo = gaussian(rnd, d, d, scale);
      w.bo = gaussian(rnd, 1, d, scale)[0];
      w.wp = gaussian(rnd, d, a, 1);
      w.vp = gaussian(rnd, 1, a, vpScale)[0];
      return w;
    }

    /** As a weights file's JSON. */
    public String toJson() {
      StringJoiner j = new StringJoiner(", ", "{", "}");
      String[] names = {"wq", "bq", "wk", "bk", "wv", "bv", "wo", "bo", "wp", "vp"};
      Object[] parts = {wq, bq, wk, bk, wv, bv, wo, bo, wp, vp};
      for (int i = 0; i < names.length; i++) {
        if (parts[i] instanceof double[][]) {
          j.add("\"" + names[i] + "\": " + json((double[][]) parts[i]));
        } else if (parts[i] instanceof double[]) {
          j.add("\"" + names[i] + "\": " + json((double[]) parts[i]));
        }
      }
      return j.toString();
    }

    /** The library's weights holding the same numbers (the input of the code under test). */
    public AttentionWeights toKernel() {
      return AttentionWeights.builder()
          .query(matrix(wq), bq)
          .key(matrix(wk), bk)
          .value(matrix(wv), bv)
          .output(matrix(wo), bo)
          .localP(matrix(wp), vp)
          .build();
    }
  }

  /** {@code X·W + b}; null W is the identity, null b zero. */
  public static double[][] project(double[][] X, double[][] W, double[] b) {
    int n = X[0].length;
    int m = W == null ? n : W[0].length;
    double[][] Y = new double[X.length][m];
    for (int i = 0; i < X.length; i++) {
      for (int j = 0; j < m; j++) {
        double s = 0;
        if (W == null) {
          s = X[i][j];
        } else {
          for (int c = 0; c < n; c++) {
            s += X[i][c] * W[c][j];
          }
        }
        Y[i][j] = s + (b == null ? 0 : b[j]);
      }
    }
    return Y;
  }

  /** Every token's centre: h = x·wq + bq, p = n / (1 + exp(−vp·tanh(h·wp))). */
  public static double[] centres(double[][] X, Weights w) {
    double[][] H = project(X, w.wq, w.bq);
    int n = X.length;
    double[] p = new double[n];
    for (int t = 0; t < n; t++) {
      double z = 0;
      for (int j = 0; j < w.vp.length; j++) {
        double a = 0;
        for (int c = 0; c < H[t].length; c++) {
          a += H[t][c] * w.wp[c][j];
        }
        z += w.vp[j] * Math.tanh(a);
      }
      p[t] = n / (1 + Math.exp(-z));
    }
    return p;
  }

  /** Which keys query t may see: a mask kind ("global", "local", "causal") or local-p. */
  interface Allowed {
    boolean test(int t, int s);
  }

  static Allowed mask(String kind, Integer window) {
    switch (kind) {
      case "global":
        return (t, s) -> true;
      case "local":
        return (t, s) -> Math.abs(t - s) <= window;
      case "causal":
        return (t, s) -> s <= t && (window == null || s >= t - window);
      default:
        throw new IllegalArgumentException(kind);
    }
  }

  /**
   * Per head h the n×n weights: {@code [h][t][s]}. For a mask kind the softmax over the allowed
   * keys of {@code q_t·k_s/√d_head}; for local-p ({@code kind = "local-p"}, {@code window = D}) the
   * softmax over the window times the Gaussian, zero outside.
   */
  public static double[][][] weights(
      double[][] X, Weights w, int heads, String kind, Integer window) {
    Weights ws = w == null ? new Weights() : w;
    double[][] Q = project(X, ws.wq, ws.bq);
    double[][] K = project(X, ws.wk, ws.bk);
    int n = X.length;
    int hq = Q[0].length / heads;
    boolean localP = kind.equals("local-p");
    double[] p = localP ? centres(X, ws) : null;
    Allowed allowed = localP ? (t, s) -> Math.abs(s - p[t]) <= window : mask(kind, window);
    double sigma = localP ? window / 2.0 : 0;
    double[][][] W = new double[heads][n][n];
    for (int h = 0; h < heads; h++) {
      for (int t = 0; t < n; t++) {
        double[] score = new double[n];
        double max = Double.NEGATIVE_INFINITY;
        for (int s = 0; s < n; s++) {
          if (allowed.test(t, s)) {
            double dot = 0;
            for (int c = 0; c < hq; c++) {
              dot += Q[t][h * hq + c] * K[s][h * hq + c];
            }
            score[s] = dot / Math.sqrt(hq);
            max = Math.max(max, score[s]);
          }
        }
        if (max == Double.NEGATIVE_INFINITY) {
          continue; // no key: a zero row
        }
        double total = 0;
        for (int s = 0; s < n; s++) {
          if (allowed.test(t, s)) {
            total += Math.exp(score[s] - max);
          }
        }
        for (int s = 0; s < n; s++) {
          if (allowed.test(t, s)) {
            double align = Math.exp(score[s] - max) / total;
            double gauss = localP ? Math.exp(-(s - p[t]) * (s - p[t]) / (2 * sigma * sigma)) : 1.0;
            W[h][t][s] = align * gauss;
          }
        }
      }
    }
    return W;
  }

  /** The attention output: per head weights · V, heads side by side, then ·wo + bo. */
  public static double[][] attention(
      double[][] X, Weights w, int heads, String kind, Integer window) {
    Weights ws = w == null ? new Weights() : w;
    double[][][] W = weights(X, ws, heads, kind, window);
    double[][] V = project(X, ws.wv, ws.bv);
    int n = X.length;
    int hv = V[0].length / heads;
    double[][] concat = new double[n][hv * heads];
    for (int h = 0; h < heads; h++) {
      for (int t = 0; t < n; t++) {
        for (int s = 0; s < n; s++) {
          for (int c = 0; c < hv; c++) {
            concat[t][h * hv + c] += W[h][t][s] * V[s][h * hv + c];
          }
        }
      }
    }
    return project(concat, ws.wo, ws.bo);
  }

  public static double[][] gaussian(Random rnd, int rows, int cols, double scale) {
    double[][] m = new double[rows][cols];
    for (double[] r : m) {
      for (int c = 0; c < cols; c++) {
        r[c] = scale * rnd.nextGaussian();
      }
    }
    return m;
  }

  static String json(double[] v) {
    StringJoiner j = new StringJoiner(",", "[", "]");
    for (double d : v) {
      j.add(Double.toString(d));
    }
    return j.toString();
  }

  static String json(double[][] m) {
    StringJoiner j = new StringJoiner(",", "[", "]");
    for (double[] r : m) {
      j.add(json(r));
    }
    return j.toString();
  }

  private static DMatrixRMaj matrix(double[][] m) {
    if (m == null) {
      return null;
    }
    DMatrixRMaj M = new DMatrixRMaj(m.length, m[0].length);
    for (int i = 0; i < m.length; i++) {
      for (int j = 0; j < m[0].length; j++) {
        M.set(i, j, m[i][j]);
      }
    }
    return M;
  }
}
