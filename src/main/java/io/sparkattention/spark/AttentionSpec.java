package io.sparkattention.spark;

import io.sparkattention.kernel.AttentionWeights;
import io.sparkattention.kernel.Mask;
import io.sparkattention.kernel.Precision;
import io.sparkattention.kernel.Rope;
import io.sparkattention.kernel.ScoreOptions;
import io.sparkattention.plan.PlanOptions;
import io.sparkattention.plan.Strategy;
import io.sparkattention.spark.validate.ScoreRules;
import io.sparkattention.spark.validate.SpecRules;
import java.io.Serializable;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * What to compute and how to split it: made by {@link #builder()}, whose {@link Builder#build()} is
 * the one place where its rules ({@link SpecRules}, {@link ScoreRules}) are checked, throwing an
 * {@link InputException} that names the parameter by its setter's name ({@code heads}, …).
 *
 * <pre>{@code
 * AttentionSpec spec = AttentionSpec.builder().causal().heads(8).weights(w).build();
 * AttentionSpec local = AttentionSpec.builder().window(64).strategy(Strategy.WINDOW).build();
 * }</pre>
 */
public final class AttentionSpec implements Serializable {
  private static final long serialVersionUID = 5L;

  /** Kernel block rows unless set (measured in docs/performance.md: 1024 fills the caches). */
  public static final int DEFAULT_BLOCK_SIZE = 1024;

  /** The values: a private copy of the builder that {@link Builder#build()} checked. */
  private final Builder values;

  /** The score options made from the values by {@link ScoreRules#check}. */
  private final ScoreOptions scores;

  private AttentionSpec(Builder values, ScoreOptions scores) {
    this.values = values;
    this.scores = scores;
  }

  /** A builder with the defaults: global softmax self-attention, one head, no projections. */
  public static Builder builder() {
    return new Builder();
  }

  /** A builder holding this spec's values. */
  public Builder toBuilder() {
    return values.copy();
  }

  /** The attention mask (none for global, cross and local-p; a window; causal). */
  public Mask mask() {
    return values.mask;
  }

  /** Heads, ≥ 1. */
  public int numHeads() {
    return values.numHeads;
  }

  /** The projections ({@link AttentionWeights#none()} for Q = K = V = x). */
  public AttentionWeights weights() {
    return values.weights;
  }

  /** The split, or {@link Strategy#AUTO}. */
  public Strategy strategy() {
    return values.strategy;
  }

  /** Kernel block rows, ≥ 1. */
  public int blockSize() {
    return values.blockSize;
  }

  /** Query blocks per task. */
  public int queryTileBlocks() {
    return values.queryTileBlocks;
  }

  /** Key blocks per task. */
  public int keyTileBlocks() {
    return values.keyTileBlocks;
  }

  /** Partitions of the attention stage; 0 picks one from Spark's parallelism. */
  public int partitions() {
    return values.partitions;
  }

  /** Soft (softmax) or hard (argmax or Gumbel-sampled) attention. */
  public Selection selection() {
    return values.selection;
  }

  /** The soft-attention block products' arithmetic ({@link Precision}; default fp64). */
  public Precision precision() {
    return values.precision;
  }

  /** Luong local-p's window half-width D ≥ 1 (softmax, no mask, weights with wp, vp), or 0. */
  public int localPWindow() {
    return values.localPWindow;
  }

  /** Levels of the pyramidal encoder before self-attention (0: none). */
  public int pyramidLevels() {
    return values.pyramidLevels;
  }

  /** Whether one-block sequences run whole ({@link PlanOptions#wholeSequences()}; default on). */
  public boolean wholeSequences() {
    return values.wholeSequences;
  }

  /** The column of packed documents' segments, or null: {@link Builder#segmentColumn}. */
  public String segmentColumn() {
    return values.segmentColumn;
  }

  /** The boolean column marking global tokens, or null: {@link Builder#globalColumn}. */
  public String globalColumn() {
    return values.globalColumn;
  }

  /** Whether a window covering every sequence runs without it, with a warning, or is refused. */
  public boolean windowClip() {
    return values.windowClip;
  }

  /** Whether queries attend to another table's keys and values (cross-attention). */
  public boolean isCross() {
    return values.cross;
  }

  /** The score options: scale, softcap, ALiBi, RoPE and key/value heads (or the standard ones). */
  public ScoreOptions scores() {
    return scores;
  }

  /** Key/value heads: {@link #numHeads()} unless grouped-query attention is set. */
  public int kvHeads() {
    return scores.kvHeads(values.numHeads);
  }

  /** Whether this is Luong local-p attention (window half-width {@link #localPWindow()}). */
  public boolean isLocalP() {
    return values.localPWindow > 0;
  }

  /** Every value by name, in declaration order: equality, the hash code and toString use it. */
  private Map<String, Object> fields() {
    Map<String, Object> f = new LinkedHashMap<>();
    f.put("mask", values.mask);
    f.put("heads", values.numHeads);
    f.put("weights", values.weights);
    f.put("strategy", values.strategy);
    f.put("blockSize", values.blockSize);
    f.put("queryTileBlocks", values.queryTileBlocks);
    f.put("keyTileBlocks", values.keyTileBlocks);
    f.put("partitions", values.partitions);
    f.put("selection", values.selection);
    f.put("precision", values.precision);
    f.put("localPWindow", values.localPWindow);
    f.put("pyramidLevels", values.pyramidLevels);
    f.put("cross", values.cross);
    f.put("scores", scores);
    f.put("wholeSequences", values.wholeSequences);
    f.put("segmentColumn", values.segmentColumn);
    f.put("globalColumn", values.globalColumn);
    f.put("windowClip", values.windowClip);
    return f;
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
    Map<String, Object> f = fields();
    f.remove("weights"); // matrices: data, not a setting
    return "AttentionSpec" + f;
  }

  /** Collects a spec's values (setters return it); the spec keeps a checked private copy. */
  public static final class Builder implements Serializable, Cloneable {
    private static final long serialVersionUID = 2L;

    private Mask mask = Mask.none();
    private int numHeads = 1;
    private AttentionWeights weights = AttentionWeights.none();
    private Strategy strategy = Strategy.AUTO;
    private int blockSize = DEFAULT_BLOCK_SIZE;
    private int queryTileBlocks = PlanOptions.DEFAULT_QUERY_TILE_BLOCKS;
    private int keyTileBlocks = PlanOptions.DEFAULT_KEY_TILE_BLOCKS;
    private int partitions;
    private Selection selection = Selection.soft();
    private Precision precision = Precision.FP64;
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
    private String segmentColumn;
    private String globalColumn;
    private boolean windowClip;

    private Builder() {}

    /** See {@link AttentionSpec#windowClip()} (default false: refused); needs a window. */
    public Builder windowClip(boolean windowClip) {
      this.windowClip = windowClip;
      return this;
    }

    /** Whether one-block sequences run whole (default true): see {@link #wholeSequences()}. */
    public Builder wholeSequences(boolean wholeSequences) {
      this.wholeSequences = wholeSequences;
      return this;
    }

    /** Packed documents: keys with the query's value of {@code column} only (default null). */
    public Builder segmentColumn(String column) {
      this.segmentColumn = column;
      return this;
    }

    /** Global tokens where boolean {@code column} is true (as {@link #globalTokens}). */
    public Builder globalColumn(String column) {
      this.globalColumn = column;
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
      return mask(mask.causalToo());
    }

    /** Local attention: |i − j| ≤ window (i − window ≤ j ≤ i with {@link #causal()}). */
    public Builder window(int window) {
      return mask(mask.withWindow(SpecRules.atLeast0(window, "window")));
    }

    /** Global tokens 0 … n−1 of each sequence ({@link Mask#withGlobalTokens}; default 0: none). */
    public Builder globalTokens(int n) {
      return mask(mask.withGlobalTokens(SpecRules.atLeast0(n, "globalTokens")));
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

    /** fp32: soft attention's block products in single precision (default fp64). */
    public Builder precision(Precision precision) {
      this.precision = precision;
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

    /** RoPE of each head's projected queries and keys, base {@link #ropeTheta} (default null). */
    public Builder rope(Rope.Style style) {
      this.ropeStyle = style;
      return this;
    }

    /** RoPE's base θ &gt; 1 (default {@link Rope#DEFAULT_THETA}); needs {@link #rope}. */
    public Builder ropeTheta(double theta) {
      this.ropeTheta = theta;
      return this;
    }

    /** Key/value heads G | heads (GQA, head h uses ⌊h·G/H⌋; 1: MQA; default 0: one per head). */
    public Builder kvHeads(int kvHeads) {
      this.kvHeads = kvHeads;
      return this;
    }

    /** The spec; an {@link InputException} names the parameter at fault, or values at odds. */
    public AttentionSpec build() {
      ScoreOptions scores = ScoreRules.check(scale, softcap, alibi, ropeStyle, ropeTheta, kvHeads);
      AttentionSpec spec = new AttentionSpec(copy(), scores);
      SpecRules.check(spec);
      return spec;
    }

    private Builder copy() {
      try {
        return (Builder) clone(); // every field is a primitive or an immutable value
      } catch (CloneNotSupportedException e) {
        throw new AssertionError(e);
      }
    }
  }
}
