package io.sparkattention.spark;

import io.sparkattention.kernel.AttentionWeights;
import io.sparkattention.kernel.Mask;
import io.sparkattention.kernel.Rope;
import io.sparkattention.kernel.ScoreOptions;
import io.sparkattention.plan.PlanOptions;
import io.sparkattention.plan.Strategy;
import io.sparkattention.spark.validate.ScoreRules;
import java.io.Serializable;
import java.util.Arrays;
import java.util.List;

/**
 * What to compute and how to split it: made by {@link #builder()}, whose {@link Builder#build()} is
 * the one place where the spec's rules are checked (each field's range and the rules between
 * fields), throwing {@link InputException#parameter() InputException naming the parameter}.
 *
 * <pre>{@code
 * AttentionSpec spec = AttentionSpec.builder().causal().heads(8).weights(w).build();
 * AttentionSpec local = AttentionSpec.builder().window(64).strategy(Strategy.WINDOW).build();
 * }</pre>
 *
 * <p>Parameter names, as {@link InputException#parameter()} gives them: {@code heads}, {@code
 * blockSize}, {@code queryTileBlocks}, {@code keyTileBlocks}, {@code partitions}, {@code
 * localPWindow}, {@code pyramidLevels}, {@code strategy}, {@code selection}, {@code mask}, {@code
 * scale}, {@code softcap}, {@code alibi}, {@code rope}, {@code ropeTheta}, {@code kvHeads}.
 */
public final class AttentionSpec implements Serializable {
  private static final long serialVersionUID = 3L;

  /** Kernel block rows unless set (measured in docs/performance.md: 1024 fills the caches). */
  public static final int DEFAULT_BLOCK_SIZE = 1024;

  /** The most pyramid levels (each halves the length and doubles the width). */
  public static final int MAX_PYRAMID_LEVELS = 10;

  private final Mask mask;
  private final int numHeads;
  private final AttentionWeights weights;
  private final Strategy strategy;
  private final int blockSize;
  private final int queryTileBlocks;
  private final int keyTileBlocks;
  private final int partitions;
  private final Selection selection;
  private final int localPWindow;
  private final int pyramidLevels;
  private final boolean cross;
  private final ScoreOptions scores;
  private final boolean wholeSequences;

  private AttentionSpec(Builder b, ScoreOptions scores) {
    this.mask = b.mask;
    this.numHeads = b.numHeads;
    this.weights = b.weights;
    this.strategy = b.strategy;
    this.blockSize = b.blockSize;
    this.queryTileBlocks = b.queryTileBlocks;
    this.keyTileBlocks = b.keyTileBlocks;
    this.partitions = b.partitions;
    this.selection = b.selection;
    this.localPWindow = b.localPWindow;
    this.pyramidLevels = b.pyramidLevels;
    this.cross = b.cross;
    this.scores = scores;
    this.wholeSequences = b.wholeSequences;
  }

  /** A builder with the defaults: global softmax self-attention, one head, no projections. */
  public static Builder builder() {
    return new Builder();
  }

  /** A builder holding this spec's values. */
  public Builder toBuilder() {
    Builder b = new Builder();
    b.mask = mask;
    b.numHeads = numHeads;
    b.weights = weights;
    b.strategy = strategy;
    b.blockSize = blockSize;
    b.queryTileBlocks = queryTileBlocks;
    b.keyTileBlocks = keyTileBlocks;
    b.partitions = partitions;
    b.selection = selection;
    b.localPWindow = localPWindow;
    b.pyramidLevels = pyramidLevels;
    b.cross = cross;
    b.scale = scores.scale();
    b.softcap = scores.softcap();
    b.alibi = scores.alibi();
    b.ropeStyle = scores.rope() == null ? null : scores.rope().style();
    b.ropeTheta = scores.rope() == null ? Rope.DEFAULT_THETA : scores.rope().theta();
    b.kvHeads = scores.kvHeadsSetting();
    b.wholeSequences = wholeSequences;
    return b;
  }

  /** The attention mask (none for global, cross and local-p; a window; causal). */
  public Mask mask() {
    return mask;
  }

  /** Heads, ≥ 1. */
  public int numHeads() {
    return numHeads;
  }

  /** The projections ({@link AttentionWeights#none()} for Q = K = V = x). */
  public AttentionWeights weights() {
    return weights;
  }

  /** The split, or {@link Strategy#AUTO}. */
  public Strategy strategy() {
    return strategy;
  }

  /** Kernel block rows, ≥ 1. */
  public int blockSize() {
    return blockSize;
  }

  /** Query blocks per task. */
  public int queryTileBlocks() {
    return queryTileBlocks;
  }

  /** Key blocks per task. */
  public int keyTileBlocks() {
    return keyTileBlocks;
  }

  /** Partitions of the attention stage; 0 picks one from Spark's parallelism. */
  public int partitions() {
    return partitions;
  }

  /** Soft (softmax) or hard (argmax or Gumbel-sampled) attention. */
  public Selection selection() {
    return selection;
  }

  /**
   * Luong local-p's window half-width D ≥ 1 (softmax only; the mask is then none and the weights
   * need {@code wp, vp}), or 0 for attention under {@link #mask()}.
   */
  public int localPWindow() {
    return localPWindow;
  }

  /** Levels of the pyramidal encoder before self-attention (0: none). */
  public int pyramidLevels() {
    return pyramidLevels;
  }

  /**
   * Whether sequences that fit in one block run whole (one task each, no tiles, partial states or
   * merge: {@link PlanOptions#wholeSequences()}); on unless turned off. Local-p always tiles.
   */
  public boolean wholeSequences() {
    return wholeSequences;
  }

  /** Whether queries attend to another table's keys and values (cross-attention). */
  public boolean isCross() {
    return cross;
  }

  /**
   * The score options: scale, softcap, ALiBi, RoPE and key/value heads ({@link
   * ScoreOptions#standard()} when none is set).
   */
  public ScoreOptions scores() {
    return scores;
  }

  /** Key/value heads: {@link #numHeads()} unless grouped-query attention is set. */
  public int kvHeads() {
    return scores.kvHeads(numHeads);
  }

  /** Whether this is Luong local-p attention (window half-width {@link #localPWindow()}). */
  public boolean isLocalP() {
    return localPWindow > 0;
  }

  /** This spec with other weights. */
  public AttentionSpec withWeights(AttentionWeights w) {
    return toBuilder().weights(w).build();
  }

  /** The plan options of this spec with the strategy resolved ({@link Strategy#AUTO} chosen). */
  public PlanOptions planOptions(Strategy resolved) {
    return PlanOptions.builder()
        .strategy(resolved)
        .mask(mask)
        .blockSize(blockSize)
        .numHeads(numHeads)
        .kvHeads(kvHeads())
        .tiles(queryTileBlocks, keyTileBlocks)
        .wholeSequences(wholeSequences && !isLocalP())
        .build();
  }

  /** Every field, in declaration order: what equality and the hash code are made of. */
  private List<Object> fields() {
    return Arrays.asList(
        mask,
        numHeads,
        weights,
        strategy,
        blockSize,
        queryTileBlocks,
        keyTileBlocks,
        partitions,
        selection,
        localPWindow,
        pyramidLevels,
        cross,
        scores,
        wholeSequences);
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof AttentionSpec && fields().equals(((AttentionSpec) o).fields());
  }

  @Override
  public int hashCode() {
    return fields().hashCode();
  }

  @Override
  public String toString() {
    return "AttentionSpec[mask="
        + mask
        + ", heads="
        + numHeads
        + ", strategy="
        + strategy
        + ", blockSize="
        + blockSize
        + ", tiles="
        + queryTileBlocks
        + "x"
        + keyTileBlocks
        + ", partitions="
        + partitions
        + ", selection="
        + selection
        + (localPWindow > 0 ? ", localPWindow=" + localPWindow : "")
        + (pyramidLevels > 0 ? ", pyramidLevels=" + pyramidLevels : "")
        + (cross ? ", cross" : "")
        + (scores.isStandard() ? "" : ", " + scores)
        + "]";
  }

  /** Collects a spec's values; {@link #build()} checks them. Setters return the builder. */
  public static final class Builder {
    private Mask mask = Mask.none();
    private int numHeads = 1;
    private AttentionWeights weights = AttentionWeights.none();
    private Strategy strategy = Strategy.AUTO;
    private int blockSize = DEFAULT_BLOCK_SIZE;
    private int queryTileBlocks = PlanOptions.DEFAULT_QUERY_TILE_BLOCKS;
    private int keyTileBlocks = PlanOptions.DEFAULT_KEY_TILE_BLOCKS;
    private int partitions;
    private Selection selection = Selection.soft();
    private int localPWindow;
    private int pyramidLevels;
    private boolean cross;
    private double scale = Double.NaN;
    private double softcap;
    private boolean alibi;
    private Rope.Style ropeStyle;
    private double ropeTheta = Rope.DEFAULT_THETA;
    private int kvHeads;
    private boolean wholeSequences = true;

    private Builder() {}

    /** Whether one-block sequences run whole (default true): see {@link #wholeSequences()}. */
    public Builder wholeSequences(boolean wholeSequences) {
      this.wholeSequences = wholeSequences;
      return this;
    }

    /** Attention under {@code mask} (replaces any mask set before). */
    public Builder mask(Mask mask) {
      this.mask = mask;
      return this;
    }

    /** Global attention: every query attends to every key (the default). */
    public Builder global() {
      return mask(Mask.none());
    }

    /** Causal attention: query i attends to keys j ≤ i (within the window, if one is set). */
    public Builder causal() {
      boolean windowed = mask.kind() == Mask.Kind.WINDOW || mask.kind() == Mask.Kind.CAUSAL_WINDOW;
      return mask(windowed ? Mask.causalWindow(mask.window()) : Mask.causal());
    }

    /**
     * Local attention: query i attends to keys j with |i − j| ≤ {@code window} (i − window ≤ j ≤ i
     * if {@link #causal()} is set, before or after).
     */
    public Builder window(int window) {
      if (window < 0) {
        throw InputException.forParameter("window", "must be >= 0, got " + window);
      }
      boolean causal = mask.kind() == Mask.Kind.CAUSAL || mask.kind() == Mask.Kind.CAUSAL_WINDOW;
      return mask(causal ? Mask.causalWindow(window) : Mask.window(window));
    }

    /** Heads, ≥ 1 (default 1). */
    public Builder heads(int numHeads) {
      this.numHeads = numHeads;
      return this;
    }

    /** The projections (default {@link AttentionWeights#none()}: Q = K = V = x). */
    public Builder weights(AttentionWeights weights) {
      this.weights = weights;
      return this;
    }

    /** The split (default {@link Strategy#AUTO}). */
    public Builder strategy(Strategy strategy) {
      this.strategy = strategy;
      return this;
    }

    /** Kernel block rows, ≥ 1 (default {@link #DEFAULT_BLOCK_SIZE}). */
    public Builder blockSize(int blockSize) {
      this.blockSize = blockSize;
      return this;
    }

    /** Query blocks per task, ≥ 1 (default {@link PlanOptions#DEFAULT_QUERY_TILE_BLOCKS}). */
    public Builder queryTileBlocks(int blocks) {
      this.queryTileBlocks = blocks;
      return this;
    }

    /** Key blocks per task, ≥ 1 (default {@link PlanOptions#DEFAULT_KEY_TILE_BLOCKS}). */
    public Builder keyTileBlocks(int blocks) {
      this.keyTileBlocks = blocks;
      return this;
    }

    /** Partitions of the attention stage, ≥ 0 (default 0: from Spark's parallelism). */
    public Builder partitions(int partitions) {
      this.partitions = partitions;
      return this;
    }

    /** Soft (the default), hard or sampled hard attention. */
    public Builder selection(Selection selection) {
      this.selection = selection;
      return this;
    }

    /** Luong local-p attention with window half-width {@code d} ≥ 1 (0: not local-p). */
    public Builder localP(int d) {
      this.localPWindow = d;
      return this;
    }

    /** A pyramidal encoder of {@code levels} levels before self-attention (default 0: none). */
    public Builder pyramidLevels(int levels) {
      this.pyramidLevels = levels;
      return this;
    }

    /** Cross-attention: keys and values come from a context table (default: self-attention). */
    public Builder cross(boolean cross) {
      this.cross = cross;
      return this;
    }

    /** The score scale, finite and &gt; 0 (default: {@code 1/√d_head}; NaN restores it). */
    public Builder scale(double scale) {
      this.scale = scale;
      return this;
    }

    /** Softcap C &gt; 0: scores become {@code C·tanh(s/C)} after scaling (0: none, the default). */
    public Builder softcap(double softcap) {
      this.softcap = softcap;
      return this;
    }

    /** ALiBi: head h's scores get {@code −m_h·|q − k|}, BLOOM's slopes (default: off). */
    public Builder alibi(boolean alibi) {
      this.alibi = alibi;
      return this;
    }

    /**
     * Rotary embeddings of the projected queries and keys per head ({@code null}: none, the
     * default), with base {@link #ropeTheta}.
     */
    public Builder rope(Rope.Style style) {
      this.ropeStyle = style;
      return this;
    }

    /** RoPE's base θ &gt; 1 (default {@link Rope#DEFAULT_THETA}); needs {@link #rope}. */
    public Builder ropeTheta(double theta) {
      this.ropeTheta = theta;
      return this;
    }

    /**
     * Key/value heads G ≥ 1 dividing the heads: grouped-query (1: multi-query) attention, query
     * head h using key/value head ⌊h·G/H⌋ (default 0: one per query head).
     */
    public Builder kvHeads(int kvHeads) {
      this.kvHeads = kvHeads;
      return this;
    }

    /**
     * The spec.
     *
     * @throws InputException naming the parameter at fault, for a value out of range or values that
     *     do not go together
     */
    public AttentionSpec build() {
      require(mask != null, "mask", "is required (Mask.none() for global attention)");
      require(weights != null, "weights", "is required (AttentionWeights.none() for none)");
      require(strategy != null, "strategy", "is required (Strategy.AUTO to choose)");
      require(selection != null, "selection", "is required (Selection.soft() for softmax)");
      require(numHeads >= 1, "heads", "must be >= 1, got " + numHeads);
      require(blockSize >= 1, "blockSize", "must be >= 1, got " + blockSize);
      require(queryTileBlocks >= 1, "queryTileBlocks", "must be >= 1, got " + queryTileBlocks);
      require(keyTileBlocks >= 1, "keyTileBlocks", "must be >= 1, got " + keyTileBlocks);
      require(partitions >= 0, "partitions", "must be >= 0, got " + partitions);
      require(localPWindow >= 0, "localPWindow", "must be >= 1, got " + localPWindow);
      require(
          pyramidLevels >= 0 && pyramidLevels <= MAX_PYRAMID_LEVELS,
          "pyramidLevels",
          "must be between 0 and " + MAX_PYRAMID_LEVELS + ", got " + pyramidLevels);
      if (localPWindow > 0) {
        require(!selection.isHard(), "localPWindow", "applies to softmax attention, not hard");
        require(
            mask.equals(Mask.none()),
            "localPWindow",
            "takes its windows from the predicted centres, not from a mask (" + mask + ")");
      }
      if (cross) {
        require(
            pyramidLevels == 0,
            "pyramidLevels",
            "applies to self-attention, not cross attention (the context would stay at the"
                + " input's width)");
        require(localPWindow == 0, "localPWindow", "is self-attention: it takes no context table");
        require(
            strategy != Strategy.WINDOW,
            "strategy",
            "window does not apply to cross attention (every query sees its whole context; use"
                + " single, blocks, heads or auto)");
        require(
            mask.equals(Mask.none()),
            "mask",
            "does not apply to cross attention (input and context positions are unrelated)");
      }
      return new AttentionSpec(
          this,
          ScoreRules.check(
              scale,
              softcap,
              alibi,
              ropeStyle,
              ropeTheta,
              kvHeads,
              numHeads,
              localPWindow > 0,
              cross));
    }

    private static void require(boolean ok, String parameter, String problem) {
      if (!ok) {
        throw InputException.forParameter(parameter, problem);
      }
    }
  }
}
