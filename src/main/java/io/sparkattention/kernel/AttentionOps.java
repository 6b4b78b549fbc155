package io.sparkattention.kernel;

import io.sparkattention.kernel.impl.Blocks;
import org.ejml.data.DMatrixRMaj;

/**
 * Scaled dot-product attention, whole or by blocks of keys, soft or hard, with masks on absolute
 * positions: {@code out = softmax(Q·Kᵀ / sqrt(d) + mask) · V}, {@code d} the width of {@code Q}.
 *
 * <p>Shapes: {@code Q} m×d queries, {@code K} n×d keys, {@code V} n×dv values. Positions are
 * absolute: a block starting at {@code qPos0} holds queries {@code qPos0 … qPos0+m-1}, so masks
 * apply correctly to any block of a longer sequence. Self-attention passes the same positions for
 * queries and keys; cross-attention (queries from one sequence, keys and values from another of a
 * different length) uses {@link Mask#none()}.
 *
 * <p>The softmax is stable (the running max is subtracted); a query with no allowed key outputs
 * zeros. Inputs must be finite ({@link IllegalArgumentException} names the first bad element).
 * Matrix products go through {@link MatrixEngine#defaultEngine()}.
 */
public final class AttentionOps {
  private AttentionOps() {}

  /** Unmasked attention, {@code softmax(Q·Kᵀ/sqrt(d))·V}: m×dv. */
  public static DMatrixRMaj attention(DMatrixRMaj Q, DMatrixRMaj K, DMatrixRMaj V) {
    return attention(Q, K, V, Mask.none());
  }

  /** Attention with queries and keys both at positions {@code 0, 1, …}: m×dv. */
  public static DMatrixRMaj attention(DMatrixRMaj Q, DMatrixRMaj K, DMatrixRMaj V, Mask mask) {
    return partial(Q, 0, K, V, 0, mask).output();
  }

  /**
   * The mergeable state of queries {@code Q} (positions {@code qPos0 …}) over one block of keys
   * {@code K}, values {@code V} (positions {@code kPos0 …}).
   */
  public static PartialAttention partial(
      DMatrixRMaj Q, long qPos0, DMatrixRMaj K, DMatrixRMaj V, long kPos0, Mask mask) {
    return partial(Q, qPos0, K, V, kPos0, mask, ScoreRule.standard());
  }

  /**
   * {@link #partial(DMatrixRMaj, long, DMatrixRMaj, DMatrixRMaj, long, Mask)} scored by {@code
   * rule}.
   */
  public static PartialAttention partial(
      DMatrixRMaj Q,
      long qPos0,
      DMatrixRMaj K,
      DMatrixRMaj V,
      long kPos0,
      Mask mask,
      ScoreRule rule) {
    PartialAttention state = PartialAttention.empty(Q.numRows, V.numCols);
    accumulate(state, Q, qPos0, K, V, kPos0, mask, rule, new AttentionWorkspace());
    return state;
  }

  /**
   * Folds one block of keys and values into {@code state}: for soft attention the online-softmax
   * update, for hard attention the best key (argmax or sampled, as the state says). Equal to {@code
   * state.mergeFrom(}the state of this block alone{@code )} without the temporary state: for hard
   * attention bit for bit, for soft to rounding (see {@link MergeableState}).
   *
   * @param state the queries' running state, m×dv (modified)
   * @param ws scratch buffers, reused across calls (modified)
   * @throws IllegalArgumentException if the shapes do not fit or an input is not finite
   */
  public static void accumulate(
      MergeableState<?> state,
      DMatrixRMaj Q,
      long qPos0,
      DMatrixRMaj K,
      DMatrixRMaj V,
      long kPos0,
      Mask mask,
      AttentionWorkspace ws) {
    accumulate(state, Q, qPos0, K, V, kPos0, mask, ScoreRule.standard(), ws);
  }

  /**
   * {@link #accumulate(MergeableState, DMatrixRMaj, long, DMatrixRMaj, DMatrixRMaj, long, Mask,
   * AttentionWorkspace)} with the scores of {@code rule}: {@code rule(q_i·k_j · scale, qPos, kPos)}
   * (scale, softcap, ALiBi bias), soft or hard.
   *
   * @param state the queries' running state, m×dv (modified)
   * @param ws scratch buffers, reused across calls (modified)
   * @throws IllegalArgumentException if the shapes do not fit or an input is not finite
   */
  public static void accumulate(
      MergeableState<?> state,
      DMatrixRMaj Q,
      long qPos0,
      DMatrixRMaj K,
      DMatrixRMaj V,
      long kPos0,
      Mask mask,
      ScoreRule rule,
      AttentionWorkspace ws) {
    checkBlock(state, Q, K, V);
    ws.block.ensureRows(Q.numRows);
    ws.block.globals(mask);
    for (int i = 0; i < Q.numRows; i++) {
      long q = qPos0 + i;
      ws.block.allow(
          i, mask.firstKey(q), mask.lastKey(q), mask.globalFirstKey(q), mask.globalLastKey(q));
    }
    ws.block.place(qPos0, kPos0);
    state.accumulateBlock(Q, K, V, rule, ws.block);
  }

  /**
   * {@link #accumulate(MergeableState, DMatrixRMaj, long, DMatrixRMaj, DMatrixRMaj, long, Mask,
   * ScoreRule, AttentionWorkspace)} for gathered keys: key j (row j of {@code K} and {@code V}) at
   * position {@code keyPos[j]}, increasing (a key group's global tokens, routed apart from a tile's
   * window).
   *
   * @throws IllegalArgumentException if the shapes do not fit, the positions do not match the keys
   *     or an input is not finite
   */
  public static void accumulateGathered(
      MergeableState<?> state,
      DMatrixRMaj Q,
      long qPos0,
      DMatrixRMaj K,
      DMatrixRMaj V,
      long[] keyPos,
      Mask mask,
      ScoreRule rule,
      AttentionWorkspace ws) {
    checkBlock(state, Q, K, V);
    if (keyPos.length != K.numRows || K.numRows == 0) {
      throw new IllegalArgumentException(
          keyPos.length + " key positions for " + K.numRows + " gathered keys");
    }
    ws.block.ensureRows(Q.numRows);
    ws.block.globals(mask);
    for (int i = 0; i < Q.numRows; i++) {
      long q = qPos0 + i;
      ws.block.allow(
          i, mask.firstKey(q), mask.lastKey(q), mask.globalFirstKey(q), mask.globalLastKey(q));
    }
    ws.block.placeGathered(qPos0, keyPos);
    state.accumulateBlock(Q, K, V, rule, ws.block);
  }

  /**
   * Luong's local-p attention: query {@code i} attends to keys {@code s} with {@code |s - c_i| <=
   * D}, its softmax alignment over that window multiplied by {@code exp(-(s - c_i)²/(2σ²))}, σ =
   * D/2. The Gaussian weights the values only, not the normaliser, so the result stays mergeable.
   * Centres come from {@link LocalPOps#centres}; with {@code c_i = i} this is local-m with a
   * Gaussian.
   *
   * @param centres per query row its predicted centre {@code p_t} (absolute key position)
   * @param halfWidth the window half-width D, ≥ 1
   */
  public static DMatrixRMaj localP(
      DMatrixRMaj Q, DMatrixRMaj K, DMatrixRMaj V, double[] centres, int halfWidth) {
    PartialAttention state = PartialAttention.empty(Q.numRows, V.numCols);
    accumulateLocalP(state, Q, centres, K, V, 0, halfWidth, new AttentionWorkspace());
    return state.output();
  }

  /**
   * Folds one block of keys into a local-p state (see {@link #localP}).
   *
   * @param centres per query row its centre, length ≥ m
   */
  public static void accumulateLocalP(
      PartialAttention state,
      DMatrixRMaj Q,
      double[] centres,
      DMatrixRMaj K,
      DMatrixRMaj V,
      long kPos0,
      int halfWidth,
      AttentionWorkspace ws) {
    checkBlock(state, Q, K, V);
    if (halfWidth < 1) {
      throw new IllegalArgumentException("local-p window D must be >= 1, got " + halfWidth);
    }
    if (centres.length < Q.numRows) {
      throw new IllegalArgumentException(
          centres.length + " centres for " + Q.numRows + " query rows");
    }
    Checks.requireFinite(centres, "centres");
    ws.block.ensureRows(Q.numRows);
    for (int i = 0; i < Q.numRows; i++) {
      // |s - c_i| <= D
      ws.block.allow(
          i, (long) Math.ceil(centres[i] - halfWidth), (long) Math.floor(centres[i] + halfWidth));
    }
    ws.block.place(0, kPos0); // local-p has no position bias: the query position is unused
    state.accumulateBlock(Q, K, V, ws.block, centres, halfWidth / 2.0);
  }

  /** Hard attention: each query takes the value of its highest-scoring allowed key. */
  public static DMatrixRMaj hard(DMatrixRMaj Q, DMatrixRMaj K, DMatrixRMaj V, Mask mask) {
    HardAttention state = HardAttention.argmax(Q.numRows, V.numCols);
    accumulate(state, Q, 0, K, V, 0, mask, new AttentionWorkspace());
    return state.output();
  }

  /**
   * Stochastic hard attention: each query takes the value of a key sampled from its softmax by the
   * Gumbel-max trick, the noise a pure function of (seed, query position, key position).
   */
  public static DMatrixRMaj hardSampled(
      DMatrixRMaj Q, DMatrixRMaj K, DMatrixRMaj V, Mask mask, long seed) {
    HardAttention state = HardAttention.sampled(Q.numRows, V.numCols, seed);
    accumulate(state, Q, 0, K, V, 0, mask, new AttentionWorkspace());
    return state.output();
  }

  /**
   * The attention weights {@code softmax(Q·Kᵀ/sqrt(d) + mask)}, m×n, for inspection (attention
   * maps). Rows with no allowed key are zeros. Costs O(m·n) memory: for short sequences only.
   */
  public static DMatrixRMaj weights(
      DMatrixRMaj Q, long qPos0, DMatrixRMaj K, long kPos0, Mask mask) {
    return weights(Q, qPos0, K, kPos0, mask, ScoreRule.standard());
  }

  /**
   * The attention weights under {@code rule}'s scores, m×n, for inspection (see {@link
   * #weights(DMatrixRMaj, long, DMatrixRMaj, long, Mask)}).
   */
  public static DMatrixRMaj weights(
      DMatrixRMaj Q, long qPos0, DMatrixRMaj K, long kPos0, Mask mask, ScoreRule rule) {
    // Attention over the identity values: row i of the output is row i of the weights.
    int n = K.numRows;
    DMatrixRMaj identity = new DMatrixRMaj(n, n);
    for (int j = 0; j < n; j++) {
      identity.set(j, j, 1.0);
    }
    return partial(Q, qPos0, K, identity, kPos0, mask, rule).output();
  }

  /**
   * The effective local-p weights, m×n, for inspection (attention maps): row i holds, for each key
   * s of its window {@code [ceil(c_i − D), floor(c_i + D)]}, the softmax alignment over the window
   * times the Gaussian {@code exp(-(s − c_i)²/(2σ²))}, σ = D/2, and zeros elsewhere, so that {@link
   * #localP} is exactly {@code weights · V}. Rows sum to less than 1 (the Gaussian is not
   * renormalised). Keys at positions {@code 0 …}. Costs O(m·n) memory: for short sequences only.
   */
  public static DMatrixRMaj localPWeights(
      DMatrixRMaj Q, double[] centres, DMatrixRMaj K, int halfWidth) {
    // Local-p over the identity values: row i of the output is row i of the weights.
    int n = K.numRows;
    DMatrixRMaj identity = new DMatrixRMaj(n, n);
    for (int j = 0; j < n; j++) {
      identity.set(j, j, 1.0);
    }
    return localP(Q, K, identity, centres, halfWidth);
  }

  /** {@code 1 / sqrt(d)} for queries of width d. */
  static double scale(DMatrixRMaj Q) {
    return 1.0 / Math.sqrt(Q.numCols);
  }

  /** The state fits the block and every input is finite. */
  private static void checkBlock(
      MergeableState<?> state, DMatrixRMaj Q, DMatrixRMaj K, DMatrixRMaj V) {
    Blocks.requireBlock(state.rows(), state.valueDim(), Q, K, V);
    Checks.requireFinite(Q, "Q");
    Checks.requireFinite(K, "K");
    Checks.requireFinite(V, "V");
  }
}
