package io.sparkattention.kernel;

import io.sparkattention.kernel.impl.Blocks;
import org.ejml.data.DMatrixRMaj;
import org.ejml.dense.row.CommonOps_DDRM;

/**
 * Multi-head attention: project ({@link AttentionWeights}), split the width into {@code numHeads}
 * heads of equal columns, attend per head, concatenate the heads, project the output.
 *
 * <p>Head {@code h} of a matrix of width {@code w} is columns {@code [h·w/H, (h+1)·w/H)}.
 */
public final class MultiHeadOps {
  private MultiHeadOps() {}

  /** Self-attention of {@code X} (positions 0 …) with {@code numHeads} heads. */
  public static DMatrixRMaj selfAttention(
      DMatrixRMaj X, AttentionWeights weights, int numHeads, Mask mask) {
    return attention(X, X, weights, numHeads, mask);
  }

  /**
   * Cross-attention: queries from {@code target} (m×d), keys and values from {@code context} (n×d',
   * n ≠ m allowed), no mask.
   */
  public static DMatrixRMaj crossAttention(
      DMatrixRMaj target, DMatrixRMaj context, AttentionWeights weights, int numHeads) {
    return attention(target, context, weights, numHeads, Mask.none());
  }

  /**
   * Multi-head attention of queries from {@code Xq} over keys and values from {@code Xkv}, both at
   * positions 0 ….
   *
   * @throws IllegalArgumentException if the weights do not fit the inputs or {@code numHeads} does
   *     not divide the projected widths
   */
  public static DMatrixRMaj attention(
      DMatrixRMaj Xq, DMatrixRMaj Xkv, AttentionWeights weights, int numHeads, Mask mask) {
    return attention(Xq, Xkv, weights, numHeads, mask, ScoreOptions.standard());
  }

  /**
   * Multi-head attention with the score options {@code options}, queries and keys at positions 0 …:
   * per query head h, RoPE (if any) rotates its queries and its key/value head's keys, the scores
   * follow {@code options.rule(h, numHeads)}, keys and values come from key/value head {@code
   * options.kvHead(h, numHeads)}.
   *
   * @throws IllegalArgumentException if the weights do not fit the inputs, the heads do not divide
   *     the projected widths, or the options do not fit the heads
   */
  public static DMatrixRMaj attention(
      DMatrixRMaj Xq,
      DMatrixRMaj Xkv,
      AttentionWeights weights,
      int numHeads,
      Mask mask,
      ScoreOptions options) {
    final int kvHeads = options.kvHeads(numHeads);
    options.checkKvHeads(numHeads);
    weights.validate(Xq.numCols, Xkv.numCols, numHeads, kvHeads);
    DMatrixRMaj Q = weights.projectQuery(Xq);
    DMatrixRMaj K = weights.projectKey(Xkv);
    DMatrixRMaj V = weights.projectValue(Xkv);
    options.check(numHeads, Q.numCols / numHeads);
    DMatrixRMaj[] kh = new DMatrixRMaj[kvHeads];
    DMatrixRMaj[] vh = new DMatrixRMaj[kvHeads];
    for (int g = 0; g < kvHeads; g++) {
      kh[g] = head(K, g, kvHeads);
      vh[g] = head(V, g, kvHeads);
      if (options.rope() != null) {
        options.rope().rotate(kh[g], 0);
      }
    }
    DMatrixRMaj concat = new DMatrixRMaj(Q.numRows, V.numCols / kvHeads * numHeads);
    for (int h = 0; h < numHeads; h++) {
      DMatrixRMaj qh = head(Q, h, numHeads);
      if (options.rope() != null) {
        options.rope().rotate(qh, 0);
      }
      int g = options.kvHead(h, numHeads);
      DMatrixRMaj out =
          AttentionOps.partial(qh, 0, kh[g], vh[g], 0, mask, options.rule(h, numHeads)).output();
      setHead(concat, out, h, numHeads);
    }
    return weights.projectOutput(concat);
  }

  /**
   * Query head {@code h}'s attention weights over the keys, m×n, for inspection: projected queries
   * {@code Q} (m×(H·d)) and keys {@code K} (n×(G·d)) at positions 0 …, RoPE (if any) applied, the
   * key/value head of {@code h}, the scores of {@code options.rule(h, numHeads)}. Rows with no
   * allowed key are zeros.
   */
  public static DMatrixRMaj headWeights(
      DMatrixRMaj Q, DMatrixRMaj K, int h, int numHeads, Mask mask, ScoreOptions options) {
    int kvHeads = options.kvHeads(numHeads);
    DMatrixRMaj qh = head(Q, h, numHeads);
    DMatrixRMaj kh = head(K, options.kvHead(h, numHeads), kvHeads);
    if (options.rope() != null) {
      options.rope().rotate(qh, 0);
      options.rope().rotate(kh, 0);
    }
    return AttentionOps.weights(qh, 0, kh, 0, mask, options.rule(h, numHeads));
  }

  /**
   * Throws unless {@code 1 <= numHeads} and {@code numHeads} divides {@code width}.
   *
   * @param what what the width is, for the message (e.g. "d_model")
   */
  public static void checkHeads(int width, int numHeads, String what) {
    if (numHeads < 1) {
      throw new IllegalArgumentException("number of heads must be >= 1, got " + numHeads);
    }
    if (width % numHeads != 0) {
      throw new IllegalArgumentException(
          numHeads
              + " heads do not divide the "
              + what
              + " "
              + width
              + " (each head needs an equal share of the columns)");
    }
  }

  /** Columns of head {@code h} of {@code M} as a new matrix. */
  public static DMatrixRMaj head(DMatrixRMaj M, int h, int numHeads) {
    checkHeads(M.numCols, numHeads, "width");
    checkHeadIndex(h, numHeads);
    int w = M.numCols / numHeads;
    return CommonOps_DDRM.extract(M, 0, M.numRows, h * w, (h + 1) * w);
  }

  /** Writes {@code head} into the columns of head {@code h} of {@code dst} (modified). */
  public static void setHead(DMatrixRMaj dst, DMatrixRMaj head, int h, int numHeads) {
    checkHeads(dst.numCols, numHeads, "width");
    checkHeadIndex(h, numHeads);
    int w = dst.numCols / numHeads;
    if (head.numCols != w || head.numRows != dst.numRows) {
      throw new IllegalArgumentException(
          "head is "
              + Blocks.shape(head)
              + " but a head of "
              + Blocks.shape(dst)
              + " split "
              + numHeads
              + " ways is "
              + dst.numRows
              + "×"
              + w);
    }
    CommonOps_DDRM.insert(head, dst, 0, h * w);
  }

  private static void checkHeadIndex(int h, int numHeads) {
    if (h < 0 || h >= numHeads) {
      throw new IllegalArgumentException("head " + h + " is outside 0.." + (numHeads - 1));
    }
  }
}
