package io.sparkattention.plan;

import io.sparkattention.kernel.Mask;

/** Picks a strategy for {@link Strategy#AUTO} from the input's shape, and says why. */
public final class StrategyChooser {
  /**
   * Sequences up to this many blocks run as one task each: one task then holds at most 4 blocks of
   * queries and state, the same order as a blocks task's kernel workspace.
   */
  static final int SINGLE_MAX_BLOCKS = 4;

  private StrategyChooser() {}

  /** A chosen strategy and the reason, for the log. */
  public record Choice(Strategy strategy, String reason) {}

  /**
   * @param maxLength the longest sequence
   * @param numSequences how many sequences
   * @param mask the attention mask
   * @param numHeads heads
   * @param blockSize kernel block size
   * @param parallelism task slots available (Spark's default parallelism)
   */
  public static Choice choose(
      long maxLength, int numSequences, Mask mask, int numHeads, int blockSize, int parallelism) {
    return choose(maxLength, numSequences, mask, null, numHeads, blockSize, parallelism);
  }

  /**
   * {@link #choose(long, int, Mask, int, int, int)} with the global tokens of a boolean column
   * besides the mask's own (null: none).
   *
   * @param globalColumn the column that marks global tokens ({@code --global-col}), or null
   */
  public static Choice choose(
      long maxLength,
      int numSequences,
      Mask mask,
      String globalColumn,
      int numHeads,
      int blockSize,
      int parallelism) {
    boolean windowed = mask.kind() == Mask.Kind.WINDOW || mask.kind() == Mask.Kind.CAUSAL_WINDOW;
    long singleMax = (long) SINGLE_MAX_BLOCKS * blockSize;
    if (maxLength <= singleMax) {
      if (numHeads > 1 && numSequences < parallelism) {
        return new Choice(
            Strategy.HEADS,
            numSequences
                + " short sequence(s) (longest "
                + maxLength
                + ") for "
                + parallelism
                + " task slots: split by the "
                + numHeads
                + " heads for parallelism");
      }
      return new Choice(
          Strategy.SINGLE,
          "longest sequence "
              + maxLength
              + " <= "
              + singleMax
              + " ("
              + SINGLE_MAX_BLOCKS
              + " blocks of "
              + blockSize
              + "): one task per sequence");
    }
    if (windowed) {
      return new Choice(
          Strategy.WINDOW,
          "local attention (window "
              + mask.window()
              + ") over sequences up to "
              + maxLength
              + (globalColumn != null
                  ? ": query tiles with a halo of keys and the global ones (rows whose "
                      + globalColumn
                      + " is true), merged by log-sum-exp"
                  : mask.hasGlobalTokens()
                      ? ": query tiles with a halo of keys and the global ones, merged by log-sum-exp"
                      : ": query tiles with a halo of keys, work O(n·w), no merge"));
    }
    return new Choice(
        Strategy.BLOCKS,
        "global attention over sequences up to "
            + maxLength
            + " > "
            + singleMax
            + ": query tiles × key groups merged by log-sum-exp, memory per task bounded");
  }

  /**
   * The choice for Luong local-p: single (or heads) for short sequences as {@link #choose}, else
   * blocks, whose local-p plan tiles queries by their predicted centres.
   */
  public static Choice chooseLocalP(
      long maxLength,
      int numSequences,
      int halfWidth,
      int numHeads,
      int blockSize,
      int parallelism) {
    Choice c = choose(maxLength, numSequences, Mask.none(), numHeads, blockSize, parallelism);
    if (c.strategy() != Strategy.BLOCKS) {
      return c;
    }
    return new Choice(
        Strategy.BLOCKS,
        "local-p (window D = "
            + halfWidth
            + " around predicted centres) over sequences up to "
            + maxLength
            + " > "
            + (long) SINGLE_MAX_BLOCKS * blockSize
            + ": query tiles of nearby centres × key groups merged by log-sum-exp, work O(n·D)");
  }
}
