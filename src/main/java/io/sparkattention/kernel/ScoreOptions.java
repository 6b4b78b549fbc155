package io.sparkattention.kernel;

import java.io.Serializable;
import java.util.Objects;

/**
 * The options of today's attention layers, across heads: the score scale, Gemma 2's softcap,
 * BLOOM's ALiBi biases, rotary position embeddings (RoPE) and grouped-query heads (GQA/MQA). {@link
 * #standard()} is none of them: {@code q·k/√d_head} with as many key/value heads as query heads.
 *
 * <p>Per query head h of H: the scores follow {@link #rule(int, int)}; queries and keys are rotated
 * by {@link #rope()} (if any) at their positions after projection; keys and values come from
 * key/value head {@link #kvHead(int, int) ⌊h·G/H⌋} of G ({@link #kvHeads(int)}).
 *
 * <p>Immutable and serializable; {@code with…} methods return changed copies.
 */
public final class ScoreOptions implements Serializable {
  private static final long serialVersionUID = 1L;
  private static final ScoreOptions STANDARD = new ScoreOptions(Double.NaN, 0.0, false, null, 0);

  private final double scale;
  private final double softcap;
  private final boolean alibi;
  private final Rope rope;
  private final int kvHeads;

  private ScoreOptions(double scale, double softcap, boolean alibi, Rope rope, int kvHeads) {
    this.scale = scale;
    this.softcap = softcap;
    this.alibi = alibi;
    this.rope = rope;
    this.kvHeads = kvHeads;
  }

  /** None of the options: {@code q·k/√d_head}, one key/value head per query head. */
  public static ScoreOptions standard() {
    return STANDARD;
  }

  /**
   * With score scale {@code scale} (finite, &gt; 0), or NaN for {@code 1/√d_head}.
   *
   * @throws IllegalArgumentException for a value out of range
   */
  public ScoreOptions withScale(double scale) {
    ScoreRule.of(scale, 0, 0);
    return new ScoreOptions(scale, softcap, alibi, rope, kvHeads);
  }

  /**
   * With softcap {@code C} (finite, &gt; 0), or 0 for none: scores become {@code C·tanh(s/C)}.
   *
   * @throws IllegalArgumentException for a value out of range
   */
  public ScoreOptions withSoftcap(double softcap) {
    ScoreRule.of(Double.NaN, softcap, 0);
    return new ScoreOptions(scale, softcap, alibi, rope, kvHeads);
  }

  /** With or without ALiBi biases ({@link Alibi#slopes}). */
  public ScoreOptions withAlibi(boolean alibi) {
    return new ScoreOptions(scale, softcap, alibi, rope, kvHeads);
  }

  /** With rotary embeddings {@code rope}, or null for none. */
  public ScoreOptions withRope(Rope rope) {
    return new ScoreOptions(scale, softcap, alibi, rope, kvHeads);
  }

  /**
   * With {@code kvHeads} key/value heads (≥ 1, dividing the query heads), or 0 for one per query
   * head.
   *
   * @throws IllegalArgumentException if negative
   */
  public ScoreOptions withKvHeads(int kvHeads) {
    if (kvHeads < 0) {
      throw new IllegalArgumentException("key/value heads must be >= 1, got " + kvHeads);
    }
    return new ScoreOptions(scale, softcap, alibi, rope, kvHeads);
  }

  /** Whether none of the options is set. */
  public boolean isStandard() {
    return equals(STANDARD);
  }

  /** The scale set, or NaN for {@code 1/√d_head}. */
  public double scale() {
    return scale;
  }

  /** The softcap, or 0 for none. */
  public double softcap() {
    return softcap;
  }

  /** Whether heads get ALiBi biases. */
  public boolean alibi() {
    return alibi;
  }

  /** The rotary embedding, or null for none. */
  public Rope rope() {
    return rope;
  }

  /** Key/value heads for {@code numHeads} query heads: the number set, else {@code numHeads}. */
  public int kvHeads(int numHeads) {
    return kvHeads == 0 ? numHeads : kvHeads;
  }

  /** The key/value heads as set (0: one per query head). */
  public int kvHeadsSetting() {
    return kvHeads;
  }

  /** The key/value head of query head {@code h} of {@code numHeads}: {@code ⌊h·G/H⌋}. */
  public int kvHead(int h, int numHeads) {
    return (int) ((long) h * kvHeads(numHeads) / numHeads);
  }

  /**
   * Checks these options against {@code numHeads} query heads of width {@code dHead}.
   *
   * @throws IllegalArgumentException if the key/value heads do not divide the query heads, or RoPE
   *     meets an odd head width
   */
  public void check(int numHeads, int dHead) {
    checkKvHeads(numHeads);
    if (rope != null) {
      Rope.checkHeadWidth(dHead);
    }
  }

  /**
   * Throws unless the key/value heads divide {@code numHeads}.
   *
   * @throws IllegalArgumentException naming both numbers
   */
  public void checkKvHeads(int numHeads) {
    if (numHeads < 1) {
      throw new IllegalArgumentException("number of heads must be >= 1, got " + numHeads);
    }
    int g = kvHeads(numHeads);
    if (g > numHeads || numHeads % g != 0) {
      throw new IllegalArgumentException(
          g
              + " key/value heads do not divide "
              + numHeads
              + " query heads (each key/value head serves an equal group of query heads)");
    }
  }

  /**
   * Query head {@code h}'s score rule: scale, softcap and its ALiBi slope among {@code numHeads}.
   */
  public ScoreRule rule(int h, int numHeads) {
    double slope = alibi ? Alibi.slopes(numHeads)[h] : 0.0;
    return ScoreRule.of(scale, softcap, slope);
  }

  @Override
  public boolean equals(Object o) {
    if (!(o instanceof ScoreOptions)) {
      return false;
    }
    ScoreOptions s = (ScoreOptions) o;
    return Double.compare(scale, s.scale) == 0
        && Double.compare(softcap, s.softcap) == 0
        && alibi == s.alibi
        && Objects.equals(rope, s.rope)
        && kvHeads == s.kvHeads;
  }

  @Override
  public int hashCode() {
    return Objects.hash(scale, softcap, alibi, rope, kvHeads);
  }

  @Override
  public String toString() {
    StringBuilder b = new StringBuilder("scores(");
    b.append(Double.isNaN(scale) ? "scale=1/sqrt(d)" : "scale=" + scale);
    if (softcap != 0) {
      b.append(", softcap=").append(softcap);
    }
    if (alibi) {
      b.append(", alibi");
    }
    if (rope != null) {
      b.append(", ").append(rope);
    }
    if (kvHeads != 0) {
      b.append(", kvHeads=").append(kvHeads);
    }
    return b.append(')').toString();
  }
}
