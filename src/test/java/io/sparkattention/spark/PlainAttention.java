package io.sparkattention.spark;

import io.sparkattention.kernel.impl.GumbelNoise;

/**
 * Multi-head attention written from the formulas in plain loops, independent of the kernel and of
 * the Spark layer: the reference for cross and hard attention. Queries are at positions 0 … m−1,
 * keys at 0 … n−1; head h takes columns [h·w/H, (h+1)·w/H) of the projected Q, K and V; the score
 * is q·k/√(w/H). Soft: softmax over the allowed keys (max subtracted). Hard: the allowed key with
 * the highest score, the first (lowest position) of equal scores; sampled: the highest score plus
 * the Gumbel noise of (seed of the head, q, k), head h's seed being {@code seed ^ (h ·
 * 0x9E3779B97F4A7C15)}. A query with no allowed key gets zeros.
 */
public final class PlainAttention {
  private PlainAttention() {}

  /** Which keys query q may see. */
  public interface Allowed {
    boolean test(long q, long k);

    Allowed ALL = (q, k) -> true;

    static Allowed window(int w) {
      return (q, k) -> Math.abs(q - k) <= w;
    }

    static Allowed causal() {
      return (q, k) -> k <= q;
    }

    static Allowed causalWindow(int w) {
      return (q, k) -> k <= q && q - k <= w;
    }
  }

  /** How a query turns its allowed keys into an output. */
  public enum Rule {
    SOFT,
    ARGMAX,
    SAMPLED
  }

  /**
   * The heads' outputs side by side (before any output projection): m × (width of V).
   *
   * @param seed the sampling seed (SAMPLED only)
   */
  public static double[][] attend(
      double[][] Q, double[][] K, double[][] V, int heads, Allowed allowed, Rule rule, long seed) {
    int m = Q.length;
    int dv = V[0].length / heads;
    double[][] out = new double[m][dv * heads];
    if (rule == Rule.SOFT) {
      for (int h = 0; h < heads; h++) {
        for (int i = 0; i < m; i++) {
          soft(Q, K, V, heads, h, i, allowed, out[i]);
        }
      }
      return out;
    }
    long[][] chosen = choices(Q, K, heads, allowed, rule, seed);
    for (int i = 0; i < m; i++) {
      for (int h = 0; h < heads; h++) {
        long k = chosen[i][h];
        for (int c = 0; c < dv; c++) {
          out[i][h * dv + c] = k < 0 ? 0.0 : V[(int) k][h * dv + c];
        }
      }
    }
    return out;
  }

  /** Per query and head the chosen key position (−1 if none is allowed). */
  public static long[][] choices(
      double[][] Q, double[][] K, int heads, Allowed allowed, Rule rule, long seed) {
    int dq = Q[0].length / heads;
    long[][] chosen = new long[Q.length][heads];
    for (int i = 0; i < Q.length; i++) {
      for (int h = 0; h < heads; h++) {
        long headSeed = seed ^ (h * 0x9E3779B97F4A7C15L);
        long best = -1;
        double bestScore = 0;
        for (int j = 0; j < K.length; j++) {
          if (!allowed.test(i, j)) {
            continue;
          }
          double s = score(Q[i], K[j], h * dq, dq);
          if (rule == Rule.SAMPLED) {
            s += GumbelNoise.sample(headSeed, i, j);
          }
          if (best < 0 || s > bestScore) { // strictly better: ties keep the lowest position
            best = j;
            bestScore = s;
          }
        }
        chosen[i][h] = best;
      }
    }
    return chosen;
  }

  private static void soft(
      double[][] Q,
      double[][] K,
      double[][] V,
      int heads,
      int h,
      int i,
      Allowed allowed,
      double[] outRow) {
    int dq = Q[0].length / heads;
    int dv = V[0].length / heads;
    int n = K.length;
    double[] s = new double[n];
    double max = Double.NEGATIVE_INFINITY;
    for (int j = 0; j < n; j++) {
      if (allowed.test(i, j)) {
        s[j] = score(Q[i], K[j], h * dq, dq);
        max = Math.max(max, s[j]);
      }
    }
    double total = 0;
    double[] acc = new double[dv];
    for (int j = 0; j < n; j++) {
      if (allowed.test(i, j)) {
        double e = Math.exp(s[j] - max);
        total += e;
        for (int c = 0; c < dv; c++) {
          acc[c] += e * V[j][h * dv + c];
        }
      }
    }
    for (int c = 0; c < dv; c++) {
      outRow[h * dv + c] = total == 0 ? 0.0 : acc[c] / total;
    }
  }

  /** q·k over columns [from, from + width), divided by √width. */
  private static double score(double[] q, double[] k, int from, int width) {
    double dot = 0;
    for (int c = from; c < from + width; c++) {
      dot += q[c] * k[c];
    }
    return dot / Math.sqrt(width);
  }
}
