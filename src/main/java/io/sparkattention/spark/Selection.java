package io.sparkattention.spark;

import io.sparkattention.kernel.HardAttention;
import java.io.Serializable;

/**
 * How each query turns its allowed keys into an output: soft (the softmax-weighted values), hard
 * (the value of the highest-scoring key, ties to the lowest key position) or hard sampled (the
 * Gumbel-max trick: the highest score plus noise drawn from (seed, query position, key position), a
 * sample from the softmax that does not depend on how the keys were split).
 *
 * <p>With several heads every head chooses on its own; a sampling head {@code h} draws its noise
 * with {@link #headSeed(int) seed ^ (h · 0x9E3779B97F4A7C15)} (head 0 with the seed itself), so the
 * heads sample independently.
 *
 * @param kind soft, hard or hard sampled
 * @param seed the noise seed (0 unless sampling)
 */
public record Selection(Kind kind, long seed) implements Serializable {

  /** The kinds of selection. */
  public enum Kind {
    SOFT,
    HARD,
    HARD_SAMPLED
  }

  /** Mixes a head index into the seed (the golden-ratio increment of SplitMix64). */
  private static final long HEAD_SEED_STEP = 0x9E3779B97F4A7C15L;

  private static final Selection SOFT = new Selection(Kind.SOFT, 0);
  private static final Selection HARD = new Selection(Kind.HARD, 0);

  public Selection {
    if (kind == null) {
      throw new IllegalArgumentException("selection kind is required");
    }
    if (kind != Kind.HARD_SAMPLED && seed != 0) {
      throw new IllegalArgumentException("a seed applies to sampled hard attention only");
    }
  }

  /** Softmax attention. */
  public static Selection soft() {
    return SOFT;
  }

  /** Hard attention: the argmax of the scores. */
  public static Selection hard() {
    return HARD;
  }

  /** Hard attention sampled by the Gumbel-max trick with noise from {@code seed}. */
  public static Selection sampled(long seed) {
    return new Selection(Kind.HARD_SAMPLED, seed);
  }

  /** Whether queries take one key's value (hard or sampled) rather than a softmax average. */
  public boolean isHard() {
    return kind != Kind.SOFT;
  }

  /** The noise seed of head {@code head} (the seed itself for head 0). */
  public long headSeed(int head) {
    return seed ^ (head * HEAD_SEED_STEP);
  }

  /** An empty hard state for {@code rows} queries of head {@code head} (hard kinds only). */
  public HardAttention emptyHardState(int rows, int valueDim, int head) {
    switch (kind) {
      case HARD:
        return HardAttention.argmax(rows, valueDim);
      case HARD_SAMPLED:
        return HardAttention.sampled(rows, valueDim, headSeed(head));
      default:
        throw new IllegalStateException("soft attention has no hard state");
    }
  }

  @Override
  public String toString() {
    switch (kind) {
      case SOFT:
        return "soft";
      case HARD:
        return "hard";
      default:
        return "hard sampled, seed " + seed;
    }
  }
}
