package io.sparkattention.spark.ml;

import io.sparkattention.spark.AttentionSpec;
import io.sparkattention.spark.SparkAttention;
import io.sparkattention.spark.attention.DistributedAttention;
import io.sparkattention.spark.io.TokenColumns;
import java.util.List;
import org.apache.spark.ml.Transformer;
import org.apache.spark.ml.linalg.SQLDataTypes;
import org.apache.spark.ml.param.BooleanParam;
import org.apache.spark.ml.param.DoubleParam;
import org.apache.spark.ml.param.IntParam;
import org.apache.spark.ml.param.Param;
import org.apache.spark.ml.param.ParamMap;
import org.apache.spark.ml.param.ParamValidators;
import org.apache.spark.ml.util.DefaultParamsReader;
import org.apache.spark.ml.util.DefaultParamsWritable;
import org.apache.spark.ml.util.Identifiable$;
import org.apache.spark.ml.util.MLReader;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.types.StructType;

/**
 * Exact self-attention as a Spark ML {@link Transformer}, for use in a {@code Pipeline}: over a
 * token table (a sequence id column, a position column, a vector column) it adds an output column
 * holding each token's attention output, one row per input row, computed by the attention job's
 * machinery ({@link DistributedAttention}: validation, planning, tile tasks, merge), so a sequence
 * never has to fit in one task and the numbers are the job's.
 *
 * <p>Params: {@code inputCol} (vector or array of numbers, default {@code x}), {@code outputCol} (a
 * vector, default {@code out}), {@code seqIdCol} (string or integer, default {@code seq_id}),
 * {@code posCol} (integer, 0 … n−1 within a sequence, default {@code pos}), {@code attention}
 * ({@code global}, {@code local} or {@code causal}; default global), {@code window} (required for
 * local, optional for causal), {@code heads} (default 1), {@code strategy} ({@code
 * auto|single|blocks|window|heads}, default auto), {@code blockSize} (default 1024), and the score
 * options of the job ({@code --scale} and the rest, docs/attention-kinds.md): {@code scale}
 * (default 1/√d_head), {@code softcap} (default none), {@code alibi} (default false), {@code rope}
 * ({@code none|half|interleaved}, default none) and {@code ropeTheta} (default 10000); {@code
 * segmentCol} (packed documents as the job's {@code --segment-col}: a query attends only to keys of
 * its sequence with its value of that column; default unset); {@code globalTokens} (Longformer's
 * global tokens as the job's {@code --global-tokens}: the first N positions see every key and every
 * query sees them; default 0); {@code globalCol} (as the job's {@code --global-col}: the rows where
 * that boolean column is true are the global tokens; default unset); {@code precision} ({@code
 * fp64|fp32} as the job's {@code --precision}; default fp64, the output column a vector either
 * way). Without projection weights: {@code Q = K = V} = the input vectors, split into {@code heads}
 * heads.
 *
 * <p>{@link #transform} validates the input at once (one pass over it, as the job does: bad rows
 * fail with the job's messages) and returns a lazy result. Saved and loaded with the default params
 * writer and reader ({@link #write()}, {@link #read()}, {@link #load(String)}), also inside a saved
 * {@code PipelineModel}.
 */
public final class AttentionTransformer extends Transformer implements DefaultParamsWritable {
  private static final long serialVersionUID = 1L;

  private final String uid;
  private final Param<String> inputCol;
  private final Param<String> outputCol;
  private final Param<String> seqIdCol;
  private final Param<String> posCol;
  private final Param<String> attention;
  private final IntParam heads;
  private final IntParam window;
  private final Param<String> strategy;
  private final IntParam blockSize;
  private final DoubleParam scale;
  private final DoubleParam softcap;
  private final BooleanParam alibi;
  private final Param<String> rope;
  private final DoubleParam ropeTheta;
  private final Param<String> segmentCol;
  private final IntParam globalTokens;
  private final Param<String> globalCol;
  private final Param<String> precision;

  public AttentionTransformer() {
    this(Identifiable$.MODULE$.randomUID("attention"));
  }

  /** With a given uid (as the params reader creates it). */
  public AttentionTransformer(String uid) {
    this.uid = uid;
    inputCol = new Param<>(this, "inputCol", "input column: vector or array of numbers");
    outputCol = new Param<>(this, "outputCol", "output column (a vector)");
    seqIdCol = new Param<>(this, "seqIdCol", "sequence id column (string or integer)");
    posCol = new Param<>(this, "posCol", "position column (0 … n-1 within a sequence)");
    attention =
        new Param<>(
            this,
            "attention",
            "global, local (|i-j| <= window) or causal (j <= i; with a window also j >= i-window)",
            ParamValidators.inArray(List.of("global", "local", "causal")));
    heads = new IntParam(this, "heads", "number of heads (>= 1)", ParamValidators.gtEq(1));
    window =
        new IntParam(
            this,
            "window",
            "window half-width (>= 0): required for local, optional for causal",
            ParamValidators.gtEq(0));
    strategy =
        new Param<>(
            this,
            "strategy",
            "auto, single, blocks, window or heads: how sequences are cut into tasks",
            ParamValidators.inArray(List.of("auto", "single", "blocks", "window", "heads")));
    blockSize =
        new IntParam(this, "blockSize", "rows per kernel block (>= 1)", ParamValidators.gtEq(1));
    scale = new DoubleParam(this, "scale", "score scale (> 0)", ParamValidators.gt(0));
    softcap =
        new DoubleParam(this, "softcap", "scores become C·tanh(s/C) (> 0)", ParamValidators.gt(0));
    alibi = new BooleanParam(this, "alibi", "ALiBi biases -m_h·|q-k| with BLOOM's slopes");
    rope =
        new Param<>(
            this,
            "rope",
            "rotary embeddings of queries and keys: none, half (Llama) or interleaved (GPT-J)",
            ParamValidators.inArray(List.of("none", "half", "interleaved")));
    ropeTheta = new DoubleParam(this, "ropeTheta", "RoPE base (> 1)", ParamValidators.gt(1));
    segmentCol =
        new Param<>(this, "segmentCol", "packed documents: attend only within equal values");
    globalTokens =
        new IntParam(this, "globalTokens", "global tokens: the first N", ParamValidators.gtEq(0));
    globalCol = new Param<>(this, "globalCol", "global tokens: where this boolean column is true");
    precision =
        new Param<>(
            this,
            "precision",
            "fp64, or fp32: the block products in single precision (state and merges fp64)",
            ParamValidators.inArray(List.of("fp64", "fp32")));
    setDefault(precision, "fp64");
    setDefault(globalTokens, 0);
    setDefault(alibi, false);
    setDefault(rope, "none");
    setDefault(ropeTheta, 10000.0);
    setDefault(inputCol, "x");
    setDefault(outputCol, "out");
    setDefault(seqIdCol, TokenColumns.SEQ_ID);
    setDefault(posCol, TokenColumns.POS);
    setDefault(attention, "global");
    setDefault(heads, 1);
    setDefault(strategy, "auto");
    setDefault(blockSize, 1024);
  }

  @Override
  public String uid() {
    return uid;
  }

  // ------------------------------------------------------------------ params

  public Param<String> inputCol() {
    return inputCol;
  }

  public Param<String> outputCol() {
    return outputCol;
  }

  public Param<String> seqIdCol() {
    return seqIdCol;
  }

  public Param<String> posCol() {
    return posCol;
  }

  public Param<String> attention() {
    return attention;
  }

  public IntParam heads() {
    return heads;
  }

  public IntParam window() {
    return window;
  }

  public IntParam globalTokens() {
    return globalTokens;
  }

  public Param<String> strategy() {
    return strategy;
  }

  public IntParam blockSize() {
    return blockSize;
  }

  public DoubleParam scale() {
    return scale;
  }

  public DoubleParam softcap() {
    return softcap;
  }

  public BooleanParam alibi() {
    return alibi;
  }

  public Param<String> rope() {
    return rope;
  }

  public DoubleParam ropeTheta() {
    return ropeTheta;
  }

  public Param<String> segmentCol() {
    return segmentCol;
  }

  public Param<String> globalCol() {
    return globalCol;
  }

  public String getInputCol() {
    return getOrDefault(inputCol);
  }

  public String getOutputCol() {
    return getOrDefault(outputCol);
  }

  public String getSeqIdCol() {
    return getOrDefault(seqIdCol);
  }

  public String getPosCol() {
    return getOrDefault(posCol);
  }

  public String getAttention() {
    return getOrDefault(attention);
  }

  public int getHeads() {
    return (Integer) getOrDefault(heads);
  }

  /** The number of global tokens (default 0: none). */
  public int getGlobalTokens() {
    return (Integer) getOrDefault(globalTokens);
  }

  /** The window, or null when not set. */
  public Integer getWindow() {
    return isDefined(window) ? (Integer) getOrDefault(window) : null;
  }

  /** The segment column, or null when not set. */
  public String getSegmentCol() {
    return isDefined(segmentCol) ? getOrDefault(segmentCol) : null;
  }

  /** The global-token column, or null when not set. */
  public String getGlobalCol() {
    return isDefined(globalCol) ? getOrDefault(globalCol) : null;
  }

  public String getStrategy() {
    return getOrDefault(strategy);
  }

  /** The precision param: {@code fp64} (default) or {@code fp32} (see the job's --precision). */
  public Param<String> precision() {
    return precision;
  }

  public String getPrecision() {
    return getOrDefault(precision);
  }

  public AttentionTransformer setPrecision(String v) {
    set(precision, v);
    return this;
  }

  public int getBlockSize() {
    return (Integer) getOrDefault(blockSize);
  }

  public AttentionTransformer setScale(double v) {
    set(scale, v);
    return this;
  }

  public AttentionTransformer setSoftcap(double v) {
    set(softcap, v);
    return this;
  }

  public AttentionTransformer setAlibi(boolean v) {
    set(alibi, v);
    return this;
  }

  /** {@code none}, {@code half} or {@code interleaved} (else IllegalArgumentException). */
  public AttentionTransformer setRope(String v) {
    set(rope, v);
    return this;
  }

  public AttentionTransformer setRopeTheta(double v) {
    set(ropeTheta, v);
    return this;
  }

  /** Packed documents: a query attends only to keys of its sequence with its value of column v. */
  public AttentionTransformer setSegmentCol(String v) {
    set(segmentCol, v);
    return this;
  }

  /** Global tokens where boolean column v is true (as the job's --global-col). */
  public AttentionTransformer setGlobalCol(String v) {
    set(globalCol, v);
    return this;
  }

  public AttentionTransformer setInputCol(String v) {
    set(inputCol, v);
    return this;
  }

  public AttentionTransformer setOutputCol(String v) {
    set(outputCol, v);
    return this;
  }

  public AttentionTransformer setSeqIdCol(String v) {
    set(seqIdCol, v);
    return this;
  }

  public AttentionTransformer setPosCol(String v) {
    set(posCol, v);
    return this;
  }

  /** Throws IllegalArgumentException unless global, local or causal. */
  public AttentionTransformer setAttention(String v) {
    set(attention, v);
    return this;
  }

  /** Throws IllegalArgumentException if below 1. */
  public AttentionTransformer setHeads(int v) {
    set(heads, v);
    return this;
  }

  /** Throws IllegalArgumentException if negative. */
  public AttentionTransformer setGlobalTokens(int v) {
    set(globalTokens, v);
    return this;
  }

  /** Throws IllegalArgumentException if negative. */
  public AttentionTransformer setWindow(int v) {
    set(window, v);
    return this;
  }

  /** Throws IllegalArgumentException unless auto, single, blocks, window or heads. */
  public AttentionTransformer setStrategy(String v) {
    set(strategy, v);
    return this;
  }

  /** Throws IllegalArgumentException if below 1. */
  public AttentionTransformer setBlockSize(int v) {
    set(blockSize, v);
    return this;
  }

  /** What to compute: the params as the job's spec (no projection weights). */
  AttentionSpec spec() {
    return TransformerSpec.of(this);
  }

  // ------------------------------------------------------------------ Transformer

  /** The input's schema with {@code outputCol} added; IllegalArgumentException for bad params. */
  @Override
  public StructType transformSchema(StructType schema) {
    spec();
    TokenColumnCheck.check(uid, schema, getSeqIdCol(), getPosCol(), getInputCol(), getOutputCol());
    TokenColumnCheck.present(uid, schema, getSegmentCol(), "segmentCol");
    TokenColumnCheck.present(uid, schema, getGlobalCol(), "globalCol");
    return schema.add(getOutputCol(), SQLDataTypes.VectorType(), false);
  }

  /** The input rows with {@code outputCol} added; bad rows throw the job's InputException. */
  @Override
  public Dataset<Row> transform(Dataset<?> dataset) {
    transformSchema(dataset.schema());
    AttentionSpec spec = spec();
    Dataset<Row> input = dataset.toDF();
    return TransformerTable.joinBack(
        this, input, SparkAttention.attend(TransformerTable.of(this, input), spec));
  }

  @Override
  public AttentionTransformer copy(ParamMap extra) {
    return defaultCopy(extra);
  }

  /** The reader that {@code PipelineModel.load} and {@link #load} use. */
  public static MLReader<AttentionTransformer> read() {
    return new DefaultParamsReader<>();
  }

  /** Loads a transformer saved with {@code write().save(path)}. */
  public static AttentionTransformer load(String path) {
    return read().load(path);
  }
}
